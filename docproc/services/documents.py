"""Removing documents and everything derived from them, with a receipt for each.

One primitive, ``remove_documents``, serves every way a document goes: a person deleting one
(``delete_document``), a whole matter deleted (``matter_deletion``) and the retention purge
(``retention``). Each caller first takes the matter's row lock and asks ``holds`` (and, for a
person's deletion, whether the matter is open); the removal then counts what goes, writes the
receipts, deletes the rows, and after the commit removes the files no one else refers to (when
their locks cannot be had then, the sweeper removes them later: ``remove_leftovers``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import models, transaction
from django.db.models import Count

from docproc.models import (
    Chunk,
    DeletionReason,
    DeletionReceipt,
    Document,
    Job,
    Matter,
    MatterDeletionReceipt,
    Page,
    Summary,
)
from docproc.pipeline.types import TransientError
from docproc.services import audit, holds, indexes, matters, storage

logger = logging.getLogger(__name__)

# Rows deleted per statement: large purges stay within PostgreSQL's parameter limits and
# memory, whatever their size.
BATCH = 500
# How far back the sweeper looks for originals a removal had to leave (``remove_leftovers``).
LEFTOVER_WINDOW = timedelta(days=7)


@dataclass
class Removal:
    """What ``remove_documents`` did in the transaction, and what is left for after commit."""

    matter_id: int
    receipts: list[DeletionReceipt] = field(default_factory=list)
    summaries_removed: dict[int, int] = field(default_factory=dict)
    jobs_removed: dict[int, int] = field(default_factory=dict)
    chunk_ids: list[int] = field(default_factory=list)


def delete_document(document: Document, user: audit.Actor = None) -> DeletionReceipt:
    """Remove the document's vectors, chunks, pages, cached summaries, jobs (with their results)
    and (if no other document or upload in progress shares the bytes) its original file, and
    record a receipt: what was removed, counted, with the original's sha256. Afterwards its text
    cannot be retrieved by any path (``tests/walls/test_deletion.py`` walks every route).

    Refused with ``holds.LegalHoldError`` under a legal hold on the document or its matter, and
    with ``matters.MatterClosedError`` in a closed matter."""
    try:
        with transaction.atomic():
            Matter.objects.select_for_update().filter(pk=document.matter_id).first()
            matters.ensure_open(document.matter, "delete its documents")
            holds.ensure_not_held(documents=[document])
            receipt, removal = _delete_one(document, user)
    except holds.LegalHoldError as refusal:
        holds.record_refusal(
            user, refusal, matter=document.matter, target=("document", document.pk)
        )
        raise
    finish_removal(removal)
    return receipt


def _delete_one(document: Document, user: audit.Actor) -> tuple[DeletionReceipt, Removal]:
    """``delete_document``'s work inside its transaction: the removal and its audit record."""
    removal = remove_documents(document.matter, [document], user, DeletionReason.DELETED)
    receipt = removal.receipts[0]
    # Last in the transaction: the audit append lock is held until it commits.
    audit.record(
        user,
        audit.Action.DELETE,
        matter=document.matter,
        target=("document", receipt.document_id),
        details={
            "filename": receipt.filename,
            "sha256": receipt.sha256,
            "receipt": receipt.pk,
            "pages_removed": receipt.pages_removed,
            "chunks_removed": receipt.chunks_removed,
            "vectors_removed": receipt.vectors_removed,
            "summaries_removed": removal.summaries_removed[receipt.document_id],
            "jobs_removed": removal.jobs_removed[receipt.document_id],
        },
    )
    return receipt, removal


def remove_documents(
    matter: Matter,
    documents: list[Document],
    user: audit.Actor,
    reason: str,
    matter_receipt: MatterDeletionReceipt | None = None,
) -> Removal:
    """Inside the caller's transaction (holding the matter's row lock, holds checked): take the
    documents' vectors out of the index, write one receipt each, and delete their rows (pages,
    chunks, summaries, jobs and holds go with them). Call ``finish_removal`` after commit.

    However many documents go, the matter's index is loaded and saved once, and every other
    step runs ``BATCH`` documents per statement."""
    removal = Removal(matter.pk)
    chunks: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(documents), BATCH):
        ids = [document.pk for document in documents[start : start + BATCH]]
        # No ordering: Chunk's default (by document) would join every document row.
        rows = Chunk.objects.filter(document_id__in=ids).order_by().values_list("pk", "document_id")
        for chunk_id, document_id in rows:
            chunks[document_id].append(chunk_id)
    vectors = indexes.remove_chunk_groups(matter.pk, {d.pk: chunks[d.pk] for d in documents})
    deleted_by = audit.person(user)
    for start in range(0, len(documents), BATCH):
        batch = documents[start : start + BATCH]
        ids = [document.pk for document in batch]
        pages = _counts(Page, ids)
        removal.summaries_removed.update(_counts(Summary, ids, default_ids=ids))
        removal.jobs_removed.update(_counts(Job, ids, default_ids=ids))
        receipts = DeletionReceipt.objects.bulk_create(
            DeletionReceipt(
                matter=matter,
                matter_slug=matter.slug,
                reason=reason,
                matter_receipt=matter_receipt,
                document_id=document.pk,
                filename=document.filename,
                sha256=document.sha256,
                pages_removed=pages.get(document.pk, 0),
                chunks_removed=len(chunks[document.pk]),
                vectors_removed=vectors[document.pk],
                file_removed=False,
                deleted_by=deleted_by,
            )
            for document in batch
        )
        _delete_rows(ids)
        removal.receipts.extend(receipts)
        removal.chunk_ids.extend(chunk for document in ids for chunk in chunks[document])
    return removal


def _delete_rows(ids: list[int]) -> None:
    """Delete these documents and every row that depends on them (pages, chunks, summaries,
    jobs, released holds): each dependant by document id in one statement, then the documents
    in one more, without Django's cascade walk, which would first load every document."""
    cascade = True
    for relation in Document._meta.related_objects:
        if relation.on_delete is not models.CASCADE:
            cascade = False  # a dependant Django must update instead: let it walk
            continue
        dependants = relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": ids}
        )
        dependants.delete()
    documents = Document.objects.filter(pk__in=ids)
    if cascade:
        documents._raw_delete(documents.db)
    else:
        documents.delete()


def _counts(
    model: type[Page | Summary | Job], ids: list[int], default_ids: list[int] | None = None
) -> dict[int, int]:
    rows = (
        model.objects.filter(document_id__in=ids)
        .order_by()  # a default ordering by document would join and group by every document
        .values("document_id")
        .annotate(n=Count("pk"))
    )
    found = {row["document_id"]: row["n"] for row in rows}
    return {i: found.get(i, 0) for i in default_ids} if default_ids is not None else found


def _still_referenced(sha256s: list[str]) -> set[str]:
    """Which of these originals a committed document still refers to."""
    return set(Document.objects.filter(sha256__in=sha256s).values_list("sha256", flat=True))


def finish_removal(removal: Removal) -> None:
    """After the commit: remove each original no committed document or upload still refers to
    (a batch of originals under one lock, ``storage.remove_unreferenced_many``), marking the
    receipt of the removal that took it, and sweep any vector a worker added mid-way."""
    try:
        removed = storage.remove_unreferenced_many(
            (receipt.sha256 for receipt in removal.receipts), referenced=_still_referenced
        )
    except TransientError as exc:
        # The rows are gone already (committed): the deletion stands, its receipts say the
        # file is still there, and the sweeper removes it when the locks can be had.
        logger.warning(
            "originals of %d removed document(s) left for the sweeper: %s",
            len(removal.receipts),
            exc,
        )
        removed = set()
    _mark_removed(removal.receipts, removed)
    try:
        late = indexes.remove_chunks(removal.matter_id, removal.chunk_ids)
    except TransientError as exc:
        # Only vectors a worker added while the rows went: they point at no chunk now, so
        # nothing finds them; check_index reports them and rebuild_index drops them.
        logger.warning("vectors a worker added mid-removal left in the index: %s", exc)
        return
    if late and len(removal.receipts) == 1:
        receipt = removal.receipts[0]
        receipt.vectors_removed += late
        receipt.save(update_fields=["vectors_removed"])


def _mark_removed(receipts: list[DeletionReceipt], removed: set[str]) -> None:
    """Mark, for each original in ``removed``, the first of ``receipts`` naming it."""
    left = set(removed)
    marked: list[int] = []
    for receipt in receipts:
        if receipt.sha256 in left:
            left.discard(receipt.sha256)  # one receipt per file: the first that names it
            receipt.file_removed = True
            marked.append(receipt.pk)
    for start in range(0, len(marked), BATCH):
        DeletionReceipt.objects.filter(pk__in=marked[start : start + BATCH]).update(
            file_removed=True
        )


def remove_leftovers(now: datetime) -> list[str]:
    """Originals a removal had to leave (the blob locks busy, or Redis down, after its commit):
    those of the receipts of the last ``LEFTOVER_WINDOW`` still saying ``file_removed=False``
    whose file is still stored and which no document refers to. Removes them as a removal
    would (under their locks, pins of uploads respected), marks their receipts, and returns
    their digests. Called by the sweeper."""
    receipts = list(
        DeletionReceipt.objects.filter(file_removed=False, deleted_at__gte=now - LEFTOVER_WINDOW)
        .order_by("pk")
        .only("pk", "sha256")
    )
    stored = sorted({r.sha256 for r in receipts if storage.blob_path(r.sha256).exists()})
    if not stored:
        return []
    orphans = set(stored) - _still_referenced(stored)
    removed = storage.remove_unreferenced_many(orphans, referenced=_still_referenced)
    _mark_removed(receipts, removed)
    if removed:
        logger.warning("sweeper: removed %d original(s) a deletion had left", len(removed))
    return sorted(removed)
