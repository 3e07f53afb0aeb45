"""Long operations as jobs: a summary or an extraction queued for a worker, its outcome kept for
the user who asked (``GET /api/v1/jobs/{id}/``).

``submit`` stores the job and enqueues it after commit; ``run`` (called by the worker task with
the job's id) runs the same service the synchronous endpoint runs and records its result or an
error ``{"code", "detail"}`` as the API would answer it (``services/error_codes.py``).
Re-running a job that was interrupted is harmless (summaries are cached, extraction only reads).
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from docproc.models import Document, Job, JobKind, JobStatus
from docproc.pipeline.llm.client import LLMError
from docproc.services import audit, dispatch, error_codes, extraction, summaries

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


def enqueue_job(job_id: str) -> None:
    """Run the job on the workers (called after commit)."""
    dispatch.send(dispatch.RUN_JOB, job_id)


def submit(user: User, document: Document, kind: str, params: dict[str, Any]) -> Job:
    """A queued job of ``kind`` on ``document`` for ``user``; the worker gets it after commit."""
    with transaction.atomic():
        job = Job.objects.create(user=user, document=document, kind=JobKind(kind), params=params)
        job_id = str(job.pk)
        transaction.on_commit(lambda: enqueue_job(job_id))
    logger.info("job %s (%s of document %s) queued", job.pk, kind, document.pk)
    return job


def _perform(job: Job) -> dict[str, Any]:
    """Run the job's service and audit it for the user who asked (as the endpoint would)."""
    document = job.document
    if job.kind == JobKind.SUMMARY:
        result = summaries.summarize(document, refresh=bool(job.params.get("refresh")))
        audit.record_summary(job.user, document, result, job=str(job.pk))
        return result
    result = extraction.extract(document, job.params["schema"])
    audit.record_extraction(job.user, document, result, job=str(job.pk))
    return result


def run(job_id: str | uuid.UUID) -> Job | None:
    """Run one job to its end; a finished job (or one whose document is gone) is left alone."""
    job = Job.objects.select_related("document").filter(pk=job_id).first()
    if job is None or job.is_final:
        return job
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    try:
        result = _perform(job)
    except (summaries.SummaryError, extraction.SchemaError, LLMError) as exc:
        logger.warning("job %s failed: %s", job.pk, exc)
        finish(job.pk, error=error_codes.describe(exc).as_error())
    else:
        finish(job.pk, result=result)
    job.refresh_from_db()
    return job


def finish(
    job_id: str | uuid.UUID,
    result: dict[str, Any] | None = None,
    error: dict[str, str] | None = None,
) -> None:
    """Record a job's outcome (a result, or an error body)."""
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.FAILED if error is not None else JobStatus.SUCCEEDED,
        result=result,
        error=error,
        finished_at=timezone.now(),
    )
