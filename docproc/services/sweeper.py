"""The sweeper: finds documents and jobs that a crash left stuck part-way and queues them again,
and removes the originals and indexes a deletion had to leave (``documents.remove_leftovers``,
``indexes.remove_orphan_indexes``).

Work is lost when the broker loses its messages (Redis restarted without its append-only file,
or flushed), when an enqueue after commit failed, or when a whole worker machine died and its
unacknowledged message waits out the visibility timeout. Celery beat calls ``sweep`` every
``DOCPROC_SWEEP_EVERY_S`` (``docproc/celery_app.py``).

A document (or job) is stuck when its state has not moved for ``DOCPROC_STUCK_AFTER_S`` and no
message on the broker names it (``dispatch.pending``). Each restart is claimed with a conditional
UPDATE, so two sweepers, or a sweep and a worker, never queue it twice; the stages are idempotent
anyway. Restarts are counted (``attempts``, shared with the redeliveries of a killed worker's
task, ``note_redelivery``): past ``DOCPROC_MAX_ATTEMPTS`` the document fails with a reason, so a
file that crashes workers cannot loop for ever.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from docproc.models import Document, DocumentStatus, Job, JobStatus
from docproc.pipeline.types import TransientError
from docproc.services import dispatch, documents, indexes

logger = logging.getLogger(__name__)

# Each state a document passes through on its way to ``indexed``, and the stage task that picks
# it up from there (embed_document also queues indexing once every chunk has its vector).
RESUME_FROM: dict[str, str] = {
    DocumentStatus.RECEIVED: dispatch.PROCESS_DOCUMENT,
    DocumentStatus.PARSING: dispatch.PROCESS_DOCUMENT,
    DocumentStatus.CHUNKING: dispatch.CHUNK_DOCUMENT,
    DocumentStatus.EMBEDDING: dispatch.EMBED_DOCUMENT,
}

GAVE_UP_REASON = (
    "Processing was interrupted {attempts} times (a worker stopped or the queue lost it) and "
    "was not tried again. The original is kept; reprocess it once the cause is fixed."
)
JOB_GAVE_UP_DETAIL = "The job was interrupted {attempts} times and was not tried again."


@dataclass(slots=True)
class SweepReport:
    """What one sweep did, by id."""

    requeued_documents: list[int] = field(default_factory=list)
    failed_documents: list[int] = field(default_factory=list)
    requeued_jobs: list[str] = field(default_factory=list)
    failed_jobs: list[str] = field(default_factory=list)
    removed_originals: list[str] = field(default_factory=list)  # sha256 of each
    removed_indexes: list[int] = field(default_factory=list)  # of deleted matters

    def as_dict(self) -> dict[str, list[int] | list[str]]:
        return {
            "requeued_documents": self.requeued_documents,
            "failed_documents": self.failed_documents,
            "requeued_jobs": self.requeued_jobs,
            "failed_jobs": self.failed_jobs,
            "removed_originals": self.removed_originals,
            "removed_indexes": self.removed_indexes,
        }


def sweep(now: datetime | None = None) -> SweepReport:
    """Queue again every stuck document and job (or fail those out of attempts)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.STUCK_AFTER_S)
    report = SweepReport()
    _sweep_documents(now, cutoff, report)
    _sweep_jobs(now, cutoff, report)
    try:
        report.removed_originals = documents.remove_leftovers(now)
        report.removed_indexes = indexes.remove_orphan_indexes()
    except TransientError as exc:  # Redis still down: the next sweep tries again
        logger.warning("sweeper: what deletions left is not removed yet: %s", exc)
    if any(report.as_dict().values()):
        logger.warning("sweeper: %s", report.as_dict())
    return report


def _sweep_documents(now: datetime, cutoff: datetime, report: SweepReport) -> None:
    stale = list(
        Document.objects.filter(status__in=list(RESUME_FROM), updated_at__lt=cutoff).values_list(
            "pk", "status", "updated_at", "attempts"
        )
    )
    if not stale:
        return
    held = dispatch.pending(dispatch.DOCUMENT_TASKS)
    for pk, status, updated_at, attempts in stale:
        if held is not None and str(pk) in held:
            continue  # a queued or running task still holds it
        # Claim this restart: only the sweep that still sees the row as it read it wins.
        claimed = Document.objects.filter(
            pk=pk, status=status, updated_at=updated_at, attempts=attempts
        ).update(attempts=F("attempts") + 1, updated_at=now)
        if not claimed:
            continue
        if attempts + 1 > settings.MAX_ATTEMPTS:
            _give_up_document(pk, attempts + 1)
            report.failed_documents.append(pk)
        else:
            dispatch.send(RESUME_FROM[status], pk)
            report.requeued_documents.append(pk)


def _sweep_jobs(now: datetime, cutoff: datetime, report: SweepReport) -> None:
    stale = list(
        Job.objects.filter(
            Q(status=JobStatus.QUEUED, created_at__lt=cutoff)
            | Q(status=JobStatus.RUNNING, started_at__lt=cutoff)
        ).values_list("pk", "status", "attempts")
    )
    if not stale:
        return
    held = dispatch.pending([dispatch.RUN_JOB])
    for pk, status, attempts in stale:
        job_id = str(pk)
        if held is not None and job_id in held:
            continue
        claimed = Job.objects.filter(pk=pk, status=status, attempts=attempts).update(
            attempts=F("attempts") + 1
        )
        if not claimed:
            continue
        if attempts + 1 > settings.MAX_ATTEMPTS:
            _give_up_job(pk, attempts + 1)
            report.failed_jobs.append(job_id)
        else:
            dispatch.send(dispatch.RUN_JOB, job_id)
            report.requeued_jobs.append(job_id)


def _give_up_document(document_id: int, attempts: int) -> None:
    Document.objects.filter(pk=document_id, status__in=list(RESUME_FROM)).update(
        status=DocumentStatus.FAILED,
        reason=GAVE_UP_REASON.format(attempts=attempts),
        updated_at=timezone.now(),
    )
    logger.error("document %s failed after %s interrupted attempts", document_id, attempts)


def _give_up_job(job_id: uuid.UUID, attempts: int) -> None:
    Job.objects.filter(pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
        status=JobStatus.FAILED,
        error={"code": "server_error", "detail": JOB_GAVE_UP_DETAIL.format(attempts=attempts)},
        finished_at=timezone.now(),
    )
    logger.error("job %s failed after %s interrupted attempts", job_id, attempts)


def note_redelivery(document_id: int) -> bool:
    """Count a restart of a document's parse or chunk task that a killed worker left
    unacknowledged (Celery delivers it again): the stages that depend on the file's content, one
    task per document, where a poison file kills its worker. Returns False, having failed the
    document, once it is out of attempts."""
    Document.objects.filter(pk=document_id).update(attempts=F("attempts") + 1)
    attempts = Document.objects.filter(pk=document_id).values_list("attempts", flat=True).first()
    if attempts is None or attempts <= settings.MAX_ATTEMPTS:
        return True
    _give_up_document(document_id, attempts)
    return False


def note_job_redelivery(job_id: str) -> bool:
    """As ``note_redelivery``, for a job's task."""
    Job.objects.filter(pk=job_id).update(attempts=F("attempts") + 1)
    attempts = Job.objects.filter(pk=job_id).values_list("attempts", flat=True).first()
    if attempts is None or attempts <= settings.MAX_ATTEMPTS:
        return True
    _give_up_job(uuid.UUID(job_id), attempts)
    return False


def finished(document_id: int) -> None:
    """A document reached ``indexed``: its interrupted attempts no longer count against a
    later reprocessing."""
    Document.objects.filter(pk=document_id, attempts__gt=0).update(attempts=0)
