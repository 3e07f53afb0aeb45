"""Removing a document and everything derived from it, with a receipt."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from docproc.models import Chunk, DeletionReceipt, Document, Job, Page, Summary
from docproc.services import audit, indexes, storage

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def delete_document(
    document: Document, user: User | AnonymousUser | None = None
) -> DeletionReceipt:
    """Remove the document's vectors, chunks, pages, cached summaries, jobs (with their results)
    and (if no other document or upload in progress shares the bytes) its original file, and
    record a receipt: what was removed, counted, with the original's sha256. Afterwards its text
    cannot be retrieved by any path: search only returns chunks that still exist, and their
    vectors are gone too (``tests/walls/test_deletion.py`` walks every route to prove it)."""
    chunk_ids = list(Chunk.objects.filter(document=document).values_list("pk", flat=True))
    vectors_removed = indexes.remove_chunks(document.matter_id, chunk_ids)
    with transaction.atomic():
        pages_removed = Page.objects.filter(document=document).count()
        # Deleted with the document (their foreign keys cascade); counted for the receipt.
        summaries_removed = Summary.objects.filter(document=document).count()
        jobs_removed = Job.objects.filter(document=document).count()
        receipt = DeletionReceipt.objects.create(
            matter_id=document.matter_id,
            document_id=document.pk,
            filename=document.filename,
            sha256=document.sha256,
            pages_removed=pages_removed,
            chunks_removed=len(chunk_ids),
            vectors_removed=vectors_removed,
            file_removed=False,
            deleted_by=user if user is not None and user.is_authenticated else None,
        )
        sha = document.sha256
        document_id = document.pk
        document.delete()
        # Last in the transaction: the audit append lock is held until it commits.
        audit.record(
            user,
            audit.Action.DELETE,
            matter=document.matter,
            target=("document", document_id),
            details={
                "filename": document.filename,
                "sha256": sha,
                "receipt": receipt.pk,
                "pages_removed": pages_removed,
                "chunks_removed": len(chunk_ids),
                "vectors_removed": vectors_removed,
                "summaries_removed": summaries_removed,
                "jobs_removed": jobs_removed,
            },
        )
    # After the commit, so that the reference check sees every other committed document.
    receipt.file_removed = storage.remove_unreferenced(
        sha, referenced=lambda: Document.objects.filter(sha256=sha).exists()
    )
    if receipt.file_removed:
        receipt.save(update_fields=["file_removed"])
    # A worker may have been mid-way through this document: sweep any vector it added since.
    late = indexes.remove_chunks(document.matter_id, chunk_ids)
    if late:
        receipt.vectors_removed += late
        receipt.save(update_fields=["vectors_removed"])
    return receipt
