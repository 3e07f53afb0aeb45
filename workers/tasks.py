"""Thin tasks: each takes a document id, runs one stage through the ingestion service and
enqueues the next. Stages are idempotent, so a redelivered task is harmless. Queues are assigned
in ``docproc.task_queues.ROUTES``."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from docproc.services import audit, ingestion, jobs, stale_report, sweeper
from workers.base import JobTask, PipelineTask

logger = logging.getLogger(__name__)


@shared_task(base=PipelineTask, counts_attempts=True)
def parse_document(document_id: int) -> None:
    """Extract page text (and OCR), then chunk."""
    if ingestion.parse(document_id):
        chunk_document.delay(document_id)


@shared_task(base=PipelineTask, counts_attempts=True)
def chunk_document(document_id: int) -> None:
    """Split pages into passages, then embed them."""
    if ingestion.chunk(document_id):
        embed_document.delay(document_id)


@shared_task(base=PipelineTask)
def embed_document(document_id: int) -> None:
    """Fan the chunks still lacking vectors out to batches, so idle workers share the document."""
    groups = ingestion.plan_embedding(
        document_id, settings.EMBED_TASK_CHUNKS, settings.WORKER_CONCURRENCY
    )
    if not groups:
        index_document.delay(document_id)
        return
    for chunk_ids in groups:
        embed_chunks.delay(document_id, chunk_ids)


@shared_task(base=PipelineTask)
def embed_chunks(document_id: int, chunk_ids: list[int]) -> None:
    """Embed one batch; the batch that finishes the document enqueues indexing."""
    if ingestion.embed(document_id, chunk_ids) == 0:
        index_document.delay(document_id)


@shared_task(base=PipelineTask)
def index_document(document_id: int) -> None:
    """Add the document's vectors to its matter's index (single writer per matter)."""
    if ingestion.index(document_id):
        sweeper.finished(document_id)


@shared_task(base=JobTask)
def run_job(job_id: str) -> None:
    """Run a user's job (a summary or an extraction) and record its outcome."""
    jobs.run(job_id)


@shared_task
def verify_audit_chain() -> dict[str, object]:
    """Verify the whole audit chain against its anchored head, record a checkpoint (what the
    console's live check starts from) and anchor the new head outside the database; scheduled
    by beat. A broken chain is logged as an error and returned, not raised: retrying would not
    mend it."""
    status = audit.full_check()
    if not status.ok:
        logger.error(
            "the audit chain is broken at record %s: %s", status.first_broken_seq, status.problem
        )
    return status.as_dict()


@shared_task
def sweep_stuck_work() -> dict[str, list[int] | list[str]]:
    """Beat's periodic sweep: queue again the documents and jobs a crash left stuck."""
    return sweeper.sweep().as_dict()


@shared_task
def report_stale_members() -> dict[str, object]:
    """Beat's periodic access report: the members who have not used a matter for
    ``DOCPROC_STALE_MEMBER_DAYS``, as CSV in ``DOCPROC_REPORT_DIR``, recorded in the audit log."""
    return stale_report.write_stale_report().as_dict()
