"""``GET jobs/{id}/``: the state and outcome of a summary or extraction run as a job.

Only the user who started a job sees it (anyone else: 404), and only while its document is
still visible to them (a token limited to other matters: 404).
"""

from __future__ import annotations

from django.urls import reverse
from rest_framework import exceptions, status
from rest_framework.response import Response

from docproc.api import serializers
from docproc.api.permissions import document_for
from docproc.api.views import ApiView
from docproc.models import Job, Scope
from docproc.services import audit


def job_accepted(job: Job) -> Response:
    """202 with the queued job and ``Location`` set to its status URL."""
    return Response(
        serializers.JobSerializer(job).data,
        status=status.HTTP_202_ACCEPTED,
        headers={"Location": reverse("api:job-detail", args=[job.pk])},
    )


class JobDetailView(ApiView):
    """``GET jobs/{id}/``: ``queued`` → ``running`` → ``succeeded`` (with ``result``) or
    ``failed`` (with ``error``)."""

    scopes = {"GET": Scope.EXTRACT}  # a job is a summary or an extraction, and holds its result

    def get(self, request, job_id):
        job = Job.objects.filter(pk=job_id, user=request.user).first()
        if job is None:
            audit.hidden_job_denied(request.user, job_id)  # recorded only if the job exists
            raise exceptions.NotFound("Job not found.")
        try:
            document_for(request.user, job.document_id)  # records the denial if it refuses
        except exceptions.NotFound as exc:
            raise exceptions.NotFound("Job not found.") from exc
        return Response(serializers.JobSerializer(job).data)
