"""The staff UI's document actions that change something: supplying an encrypted PDF's password
and deleting a document. Editors and managers only.

The matter page does both in dialogs through the API; these pages are what the same buttons
open when scripts are off (a confirmation page, a password form), so nothing depends on them.
In a closed matter, or under a legal hold, they say why they are refused (409).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from docproc.models import Document, DocumentStatus, Role
from docproc.services import documents as document_service
from docproc.services import holds, ingestion, matters
from docproc.services.matters import MatterClosedError, MatterConflictError
from docproc.web.forms import PasswordForm
from docproc.web.lookups import document_with_role_or_403, status_words


def _editable_document_or_403(request, document_id: int) -> Document:
    """The document if the user may change it: 404 outside their matters, 403 (audited) for a
    member below editor."""
    return document_with_role_or_403(
        request.user, document_id, Role.EDITOR, "change its documents"
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def document_password(request, document_id: int):
    """The password form of an encrypted PDF (``needs_password``; 409 in any other state). A
    password is only tried when the document is processed again: a wrong one brings it back
    here with the reason."""
    document = _editable_document_or_403(request, document_id)
    context = {"document": document, "status_words": status_words(document)}
    if document.status != DocumentStatus.NEEDS_PASSWORD:
        return render(request, "web/password.html", {**context, "not_needed": True}, status=409)
    form = PasswordForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            ingestion.supply_password(document, form.cleaned_data["password"], request.user)
        except MatterClosedError as error:
            form.add_error(None, str(error))
            return render(request, "web/password.html", {**context, "form": form}, status=409)
        messages.success(
            request, f"Password received for {document.filename}; it is being processed again."
        )
        return redirect("web:matter", matter_id=document.matter_id)
    status = 400 if form.is_bound else 200
    return render(request, "web/password.html", {**context, "form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def document_delete(request, document_id: int):
    """GET asks for confirmation; POST deletes the document and everything derived from it
    (``documents.delete_document`` writes the receipt and the audit record)."""
    document = _editable_document_or_403(request, document_id)
    refusal = _deletion_refusal(document)
    if refusal is not None or request.method != "POST":
        status = 409 if refusal is not None else 200
        context = {"document": document, "refusal": refusal}
        return render(request, "web/confirm_delete.html", context, status=status)
    matter_id = document.matter_id
    try:
        receipt = document_service.delete_document(document, request.user)
    except MatterConflictError as error:  # a hold placed, or the matter closed, just now
        context = {"document": document, "refusal": str(error)}
        return render(request, "web/confirm_delete.html", context, status=409)
    messages.success(request, deletion_message(receipt))
    return redirect("web:matter", matter_id=matter_id)


def _deletion_refusal(document: Document) -> str | None:
    """Why the document cannot be deleted now, in the service's own words, or None."""
    try:
        matters.ensure_open(document.matter, "delete its documents")
        holds.ensure_not_held(documents=[document])
    except MatterConflictError as refusal:
        return str(refusal)
    return None


def deletion_message(receipt) -> str:
    """What was removed, in words, with the receipt's number for the record."""

    def count(n: int, noun: str) -> str:
        return f"{n} {noun}{'' if n == 1 else 's'}"

    return (
        f"Deleted {receipt.filename}: {count(receipt.pages_removed, 'page')} and "
        f"{count(receipt.chunks_removed, 'passage')} removed, with their search vectors "
        f"(deletion receipt {receipt.pk})."
    )
