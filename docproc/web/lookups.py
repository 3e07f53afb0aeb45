"""Lookups shared by the staff UI's pages: objects fetched through a ``visible_to`` queryset
(a matter or document the user is not a member of is a 404, and the attempt is audited), the
same for pages that need a role (a member below it gets 403, audited, with the reason in
words), and each processing state in plain words."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from docproc.models import Document, DocumentStatus, Matter, Role
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


def matter_with_role_or_403(user, matter_id: int, min_role: str, doing: str) -> Matter:
    """The matter if ``user`` holds at least ``min_role`` in it: 404 outside their matters, 403
    (audited) for a member below it; the 403 page says ``doing`` needs which role."""
    matter = matter_or_404(user, matter_id)
    _require_role(user, matter, min_role, doing)
    return matter


def document_with_role_or_403(user, document_id: int, min_role: str, doing: str) -> Document:
    """As ``matter_with_role_or_403``, for a document (the role is held in its matter)."""
    document = document_or_404(user, document_id)
    _require_role(user, document.matter, min_role, doing, target=document)
    return document


def _require_role(user, matter: Matter, min_role: str, doing: str, target=None) -> None:
    if matter.allows(user, min_role):
        return
    audit.denied(
        user,
        reason=f"needs the {min_role} role",
        status=403,
        matter=matter,
        target=target,
        role=matter.role_of(user),
    )
    words: dict[str, str] = {Role.MANAGER: "managers", Role.EDITOR: "editors and managers"}
    who = words.get(min_role, "members")
    raise PermissionDenied(f"Only the matter's {who} can {doing}.")


def status_words(document: Document) -> str:
    return STATUS_WORDS.get(document.status, document.status)
