"""The staff UI's pages that run a matter's life: create one (with ``docproc.add_matter``), edit
its details, close and reopen it, and delete it whole (typing its reference; the answer is the
receipt listing every document removed). All but creating are for the matter's managers; the
services audit every change and a deletion a legal hold refuses; these views audit every
refusal of access (403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from docproc.models import Matter, Role
from docproc.services import audit, holds, matter_deletion, matters
from docproc.services.matters import MatterError
from docproc.web.lookups import matter_with_role_or_403
from docproc.web.matter_forms import DeleteMatterForm, MatterForm, ReasonForm
from docproc.web.refusals import on_form

GET_POST = ["GET", "HEAD", "POST"]


@require_http_methods(GET_POST)
@login_required
def matter_new(request):
    """The form for a new matter; its creator becomes its manager."""
    if not matters.can_create_matters(request.user):
        audit.denied(
            request.user,
            reason="needs the docproc.add_matter permission",
            status=403,
            target=("page", request.path[:64]),
        )
        raise PermissionDenied(
            "Creating matters needs a permission an administrator grants (the “Matter "
            "creators” group)."
        )
    form = MatterForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        try:
            matter = matters.create_matter(
                request.user,
                slug=form.cleaned_data["slug"],
                **form.details(),
            )
        except MatterError as error:
            status = on_form(form, error)
        else:
            messages.success(request, f"Created {matter.name} ({matter.slug}). You manage it.")
            return redirect("web:matter", matter_id=matter.pk)
    elif form.is_bound:
        status = 400
    return render(request, "web/matter_form.html", {"form": form, "matter": None}, status=status)


@require_http_methods(GET_POST)
@login_required
def matter_edit(request, matter_id: int):
    """Edit a matter's details; its reference is shown but cannot change."""
    matter = matter_with_role_or_403(request.user, matter_id, Role.MANAGER, "edit its details")
    data = request.POST if request.method == "POST" else None
    form = MatterForm(data, creating=False, initial=MatterForm.initial_of(matter))
    status = 200
    if form.is_valid():
        try:
            changed = matters.update_matter(request.user, matter, **form.details())
        except MatterError as error:
            status = on_form(form, error)
        else:
            if changed:
                words = ", ".join(name.replace("_", " ") for name in changed)
                messages.success(request, f"Saved the changes to {matter.slug}: {words}.")
            else:
                messages.info(request, "Nothing was changed.")
            return redirect("web:matter", matter_id=matter.pk)
    elif form.is_bound:
        status = 400
    context = {"form": form, "matter": matter}
    return render(request, "web/matter_form.html", context, status=status)


@require_http_methods(GET_POST)
@login_required
def matter_close(request, matter_id: int):
    """Close the matter (read-only), with an optional reason."""
    return _set_status(request, matter_id, closing=True)


@require_http_methods(GET_POST)
@login_required
def matter_reopen(request, matter_id: int):
    """Reopen a closed matter, with an optional reason."""
    return _set_status(request, matter_id, closing=False)


def _set_status(request, matter_id: int, *, closing: bool):
    doing = "close it" if closing else "reopen it"
    matter = matter_with_role_or_403(request.user, matter_id, Role.MANAGER, doing)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        change = matters.close_matter if closing else matters.reopen_matter
        try:
            change(request.user, matter, form.cleaned_data["reason"])
        except MatterError as error:
            status = on_form(form, error)
        else:
            if closing:
                messages.success(
                    request,
                    f"Closed {matter.slug}: it is read-only now. Questions and search still "
                    "work; a manager can reopen it.",
                )
            else:
                messages.success(request, f"Reopened {matter.slug}: uploads are possible again.")
            return redirect("web:matter", matter_id=matter.pk)
    elif form.is_bound:
        status = 400
    context = {"form": form, "matter": matter, "closing": closing}
    return render(request, "web/matter_status.html", context, status=status)


@require_http_methods(GET_POST)
@login_required
def matter_delete(request, matter_id: int):
    """GET: what deleting removes, and a field for the matter's reference. POST: delete it all
    (``matter_deletion.delete_matter``) and show the receipt; a legal hold refuses it (409),
    in its own words."""
    matter = matter_with_role_or_403(request.user, matter_id, Role.MANAGER, "delete it")
    form = DeleteMatterForm(request.POST if request.method == "POST" else None, matter=matter)
    status = 200
    if form.is_valid():
        try:
            receipt = matter_deletion.delete_matter(request.user, matter)
        except MatterError as error:
            status = on_form(form, error)
        else:
            return render(request, "web/matter_deleted.html", {"receipt": receipt})
    elif form.is_bound:
        status = 400
    context = {
        "form": form,
        "matter": matter,
        "document_count": matter.documents.count(),
        "hold_refusal": _hold_refusal(matter),
    }
    return render(request, "web/matter_delete.html", context, status=status)


def _hold_refusal(matter: Matter) -> str | None:
    """Why a deletion would be refused now (a hold on the matter or a document in it)."""
    try:
        holds.ensure_not_held(matter=matter)
    except holds.LegalHoldError as error:
        return str(error)
    return None
