"""The one base task that owns acknowledgement and retry policy for pipeline stages."""

from __future__ import annotations

import logging

from celery import Task
from celery.exceptions import Ignore, SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError, close_old_connections

from docproc.models import DocumentStatus
from docproc.pipeline.types import TransientError
from docproc.services import ingestion, sweeper

logger = logging.getLogger(__name__)

# Failures that pass: the broker or Redis unreachable for a moment, PostgreSQL restarting (its
# connections are dropped: OperationalError, or InterfaceError on one already closed).
TRANSIENT_ERRORS = (TransientError, ConnectionError, OperationalError, InterfaceError)


def _drop_broken_connection(exc: BaseException) -> None:
    """After the database dropped the connection, let the failure be recorded on a new one
    (Django reconnects only once a broken connection is closed)."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        close_old_connections()


def _redelivered(task: Task) -> bool:
    """Whether this message was delivered before to a worker that did not acknowledge it (it
    was killed, or lost its connection)."""
    return bool((task.request.delivery_info or {}).get("redelivered"))


class PipelineTask(Task):
    """acks_late is safe because every stage can re-run; a killed worker's task is redelivered.
    Only transient failures are retried; a document that cannot be processed fails with a
    reason instead.

    ``counts_attempts``: the stages whose redelivery counts as an attempt (services/sweeper.py),
    those that read the file's content, where a poison file would kill worker after worker."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 2
    retry_backoff_max = 120
    retry_jitter = True
    max_retries = 5
    counts_attempts = False

    def before_start(self, task_id, args, kwargs) -> None:
        # (Celery's Django fixup closes the database connections before and after each task,
        # so a task that PostgreSQL's restart cut off is retried on a fresh connection.)
        if self.counts_attempts and _redelivered(self):
            document_id = args[0] if args else kwargs["document_id"]
            if not sweeper.note_redelivery(document_id):
                raise Ignore()

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        document_id = args[0] if args else kwargs.get("document_id")
        if document_id is None:
            return
        if isinstance(exc, SoftTimeLimitExceeded):
            reason = "Processing took longer than the time limit. The original is kept."
        elif isinstance(exc, TRANSIENT_ERRORS):
            reason = (
                f"Processing stopped after repeated temporary errors ({exc}). "
                "The original is kept; reprocess it once the service is healthy."
            )
        else:
            reason = (
                f"An internal error stopped processing ({type(exc).__name__}). "
                "The original is kept; an administrator can see the worker log."
            )
        logger.error("document %s failed in %s: %r", document_id, self.name, exc)
        _drop_broken_connection(exc)
        ingestion.mark(document_id, DocumentStatus.FAILED, reason)


class JobTask(Task):
    """Base of the tasks that run a user's job (a summary, an extraction): redelivered if a
    worker dies (a job can re-run), never retried on error (the job records it instead); a
    failure the service did not catch (a time limit, a bug) still finishes the job, as failed.
    The database restarting is the exception: retried, as for pipeline stages."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (OperationalError, InterfaceError)
    retry_backoff = 2
    retry_backoff_max = 120
    retry_jitter = True
    max_retries = 5

    def before_start(self, task_id, args, kwargs) -> None:
        if _redelivered(self):
            job_id = args[0] if args else kwargs["job_id"]
            if not sweeper.note_job_redelivery(str(job_id)):
                raise Ignore()

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        from docproc.services import jobs

        job_id = args[0] if args else kwargs.get("job_id")
        if job_id is None:
            return
        if isinstance(exc, SoftTimeLimitExceeded):
            detail = "The job took longer than the time limit."
        else:
            detail = f"An internal error stopped the job ({type(exc).__name__})."
        logger.error("job %s failed in %s: %r", job_id, self.name, exc)
        _drop_broken_connection(exc)
        jobs.finish(job_id, error={"code": "server_error", "detail": detail})
