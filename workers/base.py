"""The one base task that owns acknowledgement and retry policy for pipeline stages."""

from __future__ import annotations

import logging

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from docproc.models import DocumentStatus
from docproc.pipeline.types import TransientError
from docproc.services import ingestion

logger = logging.getLogger(__name__)


class PipelineTask(Task):
    """acks_late is safe because every stage can re-run; a killed worker's task is redelivered.
    Only transient failures are retried; a document that cannot be processed fails with a
    reason instead."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (TransientError, ConnectionError)
    retry_backoff = 2
    retry_backoff_max = 120
    retry_jitter = True
    max_retries = 5

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        document_id = args[0] if args else kwargs.get("document_id")
        if document_id is None:
            return
        if isinstance(exc, SoftTimeLimitExceeded):
            reason = "Processing took longer than the time limit. The original is kept."
        elif isinstance(exc, (TransientError, ConnectionError)):
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
        ingestion.mark(document_id, DocumentStatus.FAILED, reason)


class JobTask(Task):
    """Base of the tasks that run a user's job (a summary, an extraction): redelivered if a
    worker dies (a job can re-run), never retried on error (the job records it instead); a
    failure the service did not catch (a time limit, a bug) still finishes the job, as failed."""

    acks_late = True
    reject_on_worker_lost = True

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
        jobs.finish(job_id, error={"code": "server_error", "detail": detail})
