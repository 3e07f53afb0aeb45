"""Legal holds from the staff UI: a matter's managers place a hold (with a reason) on the
matter or on one of its documents, and release it. While it is on, the pages say so ("On legal
hold since … by …: reason") and every deletion is refused in the hold's words
(``holds.LegalHoldError``, put on record by the service). The services audit placing and
releasing; these views audit refusals of access (403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.views.decorators.http import require_http_methods

from docproc.models import Document, LegalHold, Matter, Role
from docproc.services import holds
from docproc.services.matters import MatterError
from docproc.web.lookups import document_with_role_or_403, matter_with_role_or_403
from docproc.web.matter_forms import ReasonForm, RequiredReasonForm
from docproc.web.refusals import on_form

GET_POST = ["GET", "HEAD", "POST"]


def hold_words(hold: LegalHold) -> str:
    """``On legal hold since 6 Dec 2026 18:02 by alice: the Smith litigation``."""
    by = hold.placed_by.get_username() if hold.placed_by else "the system"
    since = dateformat.format(timezone.localtime(hold.placed_at), "j M Y H:i")
    return f"On legal hold since {since} by {by}: {hold.reason}"


@require_http_methods(GET_POST)
@login_required
def matter_hold(request, matter_id: int):
    """Place a hold on the whole matter."""
    matter = matter_with_role_or_403(
        request.user, matter_id, Role.MANAGER, "place or release legal holds"
    )
    return _place(request, matter=matter)


@require_http_methods(GET_POST)
@login_required
def document_hold(request, document_id: int):
    """Place a hold on one document."""
    document = document_with_role_or_403(
        request.user, document_id, Role.MANAGER, "place or release legal holds"
    )
    return _place(request, document=document)


@require_http_methods(GET_POST)
@login_required
def matter_hold_release(request, matter_id: int):
    matter = matter_with_role_or_403(
        request.user, matter_id, Role.MANAGER, "place or release legal holds"
    )
    return _release(request, matter=matter)


@require_http_methods(GET_POST)
@login_required
def document_hold_release(request, document_id: int):
    document = document_with_role_or_403(
        request.user, document_id, Role.MANAGER, "place or release legal holds"
    )
    return _release(request, document=document)


def _back(matter: Matter | None, document: Document | None):
    if document is not None:
        return redirect("web:document", document_id=document.pk)
    assert matter is not None
    return redirect("web:matter", matter_id=matter.pk)


def _context(matter: Matter | None, document: Document | None, **extra) -> dict:
    owner = matter if matter is not None else document.matter  # type: ignore[union-attr]
    hold = holds.active_hold(matter=matter, document=document)
    return {
        "matter": owner,
        "document": document,
        "subject": f"document {document.filename}" if document else f"matter {owner.slug}",
        "hold": hold,
        "hold_words": hold_words(hold) if hold else None,
        **extra,
    }


def _place(request, *, matter: Matter | None = None, document: Document | None = None):
    form = RequiredReasonForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        try:
            hold = holds.place_hold(
                request.user, reason=form.cleaned_data["reason"], matter=matter, document=document
            )
        except MatterError as error:
            status = on_form(form, error)
        else:
            messages.success(
                request,
                f"Placed a legal hold on the {hold.subject}: nothing it covers can be "
                "deleted until it is released.",
            )
            return _back(matter, document)
    elif form.is_bound:
        status = 400
    context = _context(matter, document, form=form, placing=True)
    return render(request, "web/hold_form.html", context, status=status)


def _release(request, *, matter: Matter | None = None, document: Document | None = None):
    hold = holds.active_hold(matter=matter, document=document)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    status = 200
    if hold is None:
        status = 409 if request.method == "POST" else 200
    elif form.is_valid():
        try:
            holds.release_hold(request.user, hold, form.cleaned_data["reason"])
        except MatterError as error:
            status = on_form(form, error)
        else:
            messages.success(request, f"Released the legal hold on the {hold.subject}.")
            return _back(matter, document)
    elif form.is_bound:
        status = 400
    context = _context(matter, document, form=form, placing=False)
    return render(request, "web/hold_form.html", context, status=status)
