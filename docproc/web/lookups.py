"""Lookups shared by the staff UI's pages: objects fetched through a ``visible_to`` queryset
(a matter or document the user is not a member of is a 404, and the attempt is audited), and
each processing state in plain words."""

from __future__ import annotations

from django.http import Http404

from docproc.models import Document, DocumentStatus, Matter
from docproc.services import audit

# Each state in plain words (the matter page also hands them to its polling script).
STATUS_WORDS: dict[str, str] = {
    DocumentStatus.RECEIVED: "Waiting to be processed",
    DocumentStatus.PARSING: "Reading the text",
    DocumentStatus.CHUNKING: "Splitting into passages",
    DocumentStatus.EMBEDDING: "Preparing for search",
    DocumentStatus.INDEXED: "Ready",
    DocumentStatus.FAILED: "Failed",
    DocumentStatus.NEEDS_PASSWORD: "Needs a password",
}


def matter_or_404(user, matter_id: int) -> Matter:
    matter = Matter.objects.visible_to(user).filter(pk=matter_id).first()
    if matter is None:
        audit.hidden_object_denied(user, Matter, matter_id)
        raise Http404("Matter not found.")
    return matter


def document_or_404(user, document_id: int) -> Document:
    document = (
        Document.objects.visible_to(user).select_related("matter").filter(pk=document_id).first()
    )
    if document is None:
        audit.hidden_object_denied(user, Document, document_id)
        raise Http404("Document not found.")
    return document


def status_words(document: Document) -> str:
    return STATUS_WORDS.get(document.status, document.status)
