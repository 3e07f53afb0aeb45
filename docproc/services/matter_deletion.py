"""Deleting a whole matter: every document removed as a document deletion removes it (each with
its own receipt), the matter's index removed, and one matter receipt listing them all, which
outlives the matter. Refused while a legal hold covers the matter or any document in it."""

from __future__ import annotations

from django.db import transaction

from docproc.models import (
    DeletionReason,
    Document,
    Matter,
    MatterDeletionReceipt,
    Membership,
    Screen,
)
from docproc.pipeline.types import TransientError
from docproc.services import audit, holds, indexes
from docproc.services.documents import Removal, finish_removal, remove_documents
from docproc.services.matters import MatterGoneError


def delete_matter(
    actor: audit.Actor, matter: Matter, reason: str = DeletionReason.MATTER_DELETED
) -> MatterDeletionReceipt:
    """Remove the matter, its documents, index, memberships and screens; returns the receipt.
    A refusal by a legal hold is put on record."""
    try:
        receipt, removal, matter_id = _delete(actor, matter, reason)
    except holds.LegalHoldError as refusal:
        holds.record_refusal(actor, refusal, matter=matter, target=matter)
        raise
    finish_removal(removal)
    # A worker may have re-created the index mid-way; the matter is gone, so is its index (or
    # the sweeper's, if its lock cannot be had now: ``indexes.remove_orphan_indexes``).
    try:
        indexes.remove_matter_index(matter_id)
    except TransientError:
        pass
    return receipt


def _delete(
    actor: audit.Actor, matter: Matter, reason: str
) -> tuple[MatterDeletionReceipt, Removal, int]:
    """``delete_matter``'s transaction: everything but the files and the late index sweep."""
    with transaction.atomic():
        locked = Matter.objects.select_for_update().filter(pk=matter.pk).first()
        if locked is None:  # a deletion beside this one (a second click) got there first
            raise MatterGoneError(f"The matter {matter.slug} has been deleted already.")
        holds.ensure_not_held(matter=locked)
        documents = list(Document.objects.filter(matter=locked).order_by("pk"))
        receipt = MatterDeletionReceipt.objects.create(
            matter_id_removed=locked.pk,
            slug=locked.slug,
            name=locked.name,
            reason=reason,
            deleted_by=audit.person(actor),
        )
        removal = remove_documents(locked, documents, actor, DeletionReason.MATTER_DELETED, receipt)
        receipt.documents = [
            {
                "receipt": r.pk,
                "document_id": r.document_id,
                "filename": r.filename,
                "sha256": r.sha256,
                "pages_removed": r.pages_removed,
                "chunks_removed": r.chunks_removed,
                "vectors_removed": r.vectors_removed,
            }
            for r in removal.receipts
        ]
        members = Membership.objects.filter(matter=locked).count()
        screens = Screen.objects.filter(matter=locked).count()
        matter_id = locked.pk
        audit.record(
            actor,
            audit.Action.MATTER_DELETE,
            matter=locked,
            target=locked,
            details={
                "slug": locked.slug,
                "name": locked.name,
                "receipt": receipt.pk,
                "documents_removed": len(removal.receipts),
                "chunks_removed": sum(r.chunks_removed for r in removal.receipts),
                "vectors_removed": sum(r.vectors_removed for r in removal.receipts),
                "memberships_removed": members,
                "screens_removed": screens,
            },
        )
        locked.delete()  # memberships, screens, released holds and token links go with it
        receipt.index_removed = indexes.remove_matter_index(matter_id)
        receipt.save(update_fields=["documents", "index_removed"])
    return receipt, removal, matter_id
