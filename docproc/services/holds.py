"""Legal holds on a matter or a document: while one is active, nothing it covers may be deleted
or purged (``ensure_not_held`` is asked by every deletion path, under the matter's row lock that
placing a hold takes too, so a hold and a deletion cannot pass each other). Placing and
releasing are audited with who and why."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from docproc.models import Document, LegalHold, Matter
from docproc.services import audit
from docproc.services.matters import MatterConflictError, MatterError


class LegalHoldError(MatterConflictError):
    """A deletion or purge refused because a legal hold covers what it would remove."""

    code = "legal_hold"

    def __init__(self, hold: LegalHold) -> None:
        placed_by = hold.placed_by.get_username() if hold.placed_by else "the system"
        super().__init__(
            f"{hold.subject[0].upper()}{hold.subject[1:]} is under a legal hold placed by "
            f"{placed_by} on {hold.placed_at:%Y-%m-%d} ({hold.reason}). Nothing it covers can "
            "be deleted or purged until the hold is released."
        )
        self.hold = hold


def place_hold(
    actor: audit.Actor,
    *,
    reason: str,
    matter: Matter | None = None,
    document: Document | None = None,
) -> LegalHold:
    """Hold a matter (every document in it) or one document."""
    if (matter is None) == (document is None):
        raise ValueError("hold exactly one of a matter or a document")
    if not reason.strip():
        raise MatterError(
            "A legal hold needs a reason (e.g. the litigation or request).", field="reason"
        )
    locked_matter = matter if matter is not None else document.matter  # type: ignore[union-attr]
    try:
        with transaction.atomic():
            Matter.objects.select_for_update().filter(pk=locked_matter.pk).first()
            hold = LegalHold.objects.create(
                matter=matter,
                document=document,
                reason=reason.strip(),
                placed_by=audit.person(actor),
            )
            _record(actor, hold, "placed", hold.reason)
    except IntegrityError as exc:
        what = f"document {document.filename}" if document else f"matter {locked_matter.slug}"
        raise MatterConflictError(f"The {what} is already under a legal hold.") from exc
    return hold


def release_hold(actor: audit.Actor, hold: LegalHold, reason: str = "") -> LegalHold:
    with transaction.atomic():
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if locked.released_at is not None:
            raise MatterConflictError("This legal hold was already released.")
        locked.released_at = timezone.now()
        locked.released_by = audit.person(actor)
        locked.release_reason = reason.strip()
        locked.save(update_fields=["released_at", "released_by", "release_reason"])
        _record(actor, locked, "released", locked.release_reason)
    return locked


def active_hold(
    *, matter: Matter | None = None, document: Document | None = None
) -> LegalHold | None:
    """The active hold placed on exactly this matter or this document (not one inherited)."""
    return (
        LegalHold.objects.active()
        .select_related("placed_by", "matter", "document")
        .filter(matter=matter, document=document)
        .first()
    )


def hold_covering(document: Document) -> LegalHold | None:
    """The active hold on the document or on its matter, if any."""
    return (
        LegalHold.objects.covering(document)
        .select_related("placed_by", "matter", "document")
        .first()
    )


def ensure_not_held(
    *, matter: Matter | None = None, documents: list[Document] | None = None
) -> None:
    """Raise ``LegalHoldError`` if a hold covers the matter (or any document in it) or any of
    ``documents``. Call under the matter's row lock."""
    holds = LegalHold.objects.active().select_related("placed_by", "matter", "document")
    if matter is not None:
        hold = holds.filter(Q(matter=matter) | Q(document__matter=matter)).first()
    else:
        ids = [d.pk for d in documents or []]
        matter_ids = {d.matter_id for d in documents or []}
        hold = holds.filter(Q(document_id__in=ids) | Q(matter_id__in=matter_ids)).first()
    if hold is not None:
        raise LegalHoldError(hold)


def held_matter_ids() -> set[int]:
    return set(
        LegalHold.objects.active().filter(matter__isnull=False).values_list("matter_id", flat=True)
    )


def held_document_ids(matter: Matter) -> set[int]:
    """The documents of ``matter`` under a hold of their own."""
    return set(
        LegalHold.objects.active()
        .filter(document__matter=matter)
        .values_list("document_id", flat=True)
    )


def record_refusal(
    actor: audit.Actor, refusal: LegalHoldError, *, matter: Matter, target: audit.Target
) -> None:
    """Put on record a deletion a hold refused: after the refused transaction, which rolled
    back (an attempt on held material is what a hold's auditor asks about first)."""
    audit.denied(
        actor,
        reason="under a legal hold",
        status=409,
        matter=matter,
        target=target,
        hold=refusal.hold.pk,
    )


def _record(actor: audit.Actor, hold: LegalHold, change: str, reason: str) -> None:
    document = hold.document
    audit.record(
        actor,
        audit.Action.HOLD_CHANGE,
        matter=hold.matter if hold.matter is not None else document.matter if document else None,
        target=document if document is not None else hold.matter,
        details={
            "change": change,
            "hold": hold.pk,
            "on": "document" if document is not None else "matter",
            "reason": reason,
            "placed_by": hold.placed_by.get_username() if hold.placed_by else None,
        },
    )
