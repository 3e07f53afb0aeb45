"""Object permissions for the API: every object is fetched through a ``visible_to`` queryset.

A matter or document the user holds no membership for does not exist as far as the API is
concerned (404, so its existence is not revealed). A member whose role is too low gets 403, with
a detail saying which role is needed. Staff and superusers are not implicitly members. Both
refusals are audited here, where they are decided.
"""

from __future__ import annotations

from rest_framework import exceptions

from docproc.models import Document, Matter, Role
from docproc.models.matters import ROLE_RANK
from docproc.services import audit


def _require_role(matter: Matter, user, min_role: str, target=None) -> None:
    if min_role == Role.VIEWER:
        return  # visible_to(user) already proved at least viewer
    role = matter.role_of(user)
    if role is None or ROLE_RANK[Role(role)] < ROLE_RANK[Role(min_role)]:
        audit.denied(
            user,
            reason=f"needs the {Role(min_role).value} role",
            status=403,
            matter=matter,
            target=target or matter,
            role=role,
        )
        raise exceptions.PermissionDenied(
            f"Your role in this matter ({role}) does not allow this; "
            f"{Role(min_role).value} or higher is needed."
        )


def matter_for(user, matter_id: int, min_role: str = Role.VIEWER) -> Matter:
    """The matter ``matter_id`` if ``user`` is a member (else 404) holding ``min_role``
    (else 403)."""
    matter = Matter.objects.visible_to(user).filter(pk=matter_id).first()
    if matter is None:
        audit.hidden_object_denied(user, Matter, matter_id)
        raise exceptions.NotFound("Matter not found.")
    _require_role(matter, user, min_role)
    return matter


def document_for(user, document_id: int, min_role: str = Role.VIEWER) -> Document:
    """The document ``document_id`` if ``user`` is a member of its matter (else 404) holding
    ``min_role`` (else 403)."""
    document = (
        Document.objects.visible_to(user).select_related("matter").filter(pk=document_id).first()
    )
    if document is None:
        audit.hidden_object_denied(user, Document, document_id)
        raise exceptions.NotFound("Document not found.")
    _require_role(document.matter, user, min_role, target=document)
    return document


def documents_in(user, matter: Matter, document_ids) -> list[int] | None:
    """``document_ids`` (a request's narrowing to some documents of ``matter``) if every one is
    a document of ``matter`` the user can see, else 404 naming none of them (which ids exist
    elsewhere is not revealed); ``None`` when the request does not narrow."""
    if not document_ids:
        return None
    wanted = set(document_ids)
    visible = set(
        Document.objects.visible_to(user)
        .filter(matter=matter, pk__in=wanted)
        .values_list("pk", flat=True)
    )
    if visible != wanted:
        audit.hidden_documents_denied(user, wanted - visible)
        raise exceptions.NotFound("One or more documents were not found in this matter.")
    return sorted(wanted)
