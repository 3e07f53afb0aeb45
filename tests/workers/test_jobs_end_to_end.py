"""A summary asked for as a job: the API queues it, the real worker runs it against the tiny
model's real server (tests/conftest.py's celery_worker), and the job's URL gives the result."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from docproc.models import Job, JobStatus, Role, Summary
from tests.factories.files import make_text_pdf
from tests.factories.rows import make_membership, make_user

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_an_async_summary_is_run_by_the_worker_and_its_result_served_at_the_job_url(
    celery_worker, index_document
):
    matter, document = index_document(
        "worker-jobs", "lease.pdf", make_text_pdf(["Rent is 900 euros a month.", "Pets: no."])
    )
    client = APIClient()
    viewer = make_user("vera")
    make_membership(matter, viewer, Role.VIEWER)
    client.force_authenticate(viewer)

    started = client.post(
        f"/api/v1/documents/{document.pk}/summary/", {"async": True}, format="json"
    )
    url = started.json()["url"]
    deadline = time.monotonic() + 120
    while (job := client.get(url).json())["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, f"the job is still {job['status']}"
        time.sleep(0.5)

    assert started.status_code == 202
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["document"] == document.pk
    assert job["result"]["coverage"] == {"pages_covered": 2, "pages_total": 2}
    assert Job.objects.get(pk=job["id"]).status == JobStatus.SUCCEEDED
    assert Summary.objects.filter(document=document).count() == 1
