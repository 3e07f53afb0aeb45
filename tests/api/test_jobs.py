"""Summaries and extractions as jobs: ``"async": true`` answers 202 with a status URL; the
worker's task runs the same service; only the job's owner can see it."""

from __future__ import annotations

import pytest

from docproc.models import Job, JobStatus
from docproc.services import extraction, jobs, summaries
from tests.factories.files import make_text_pdf
from workers.tasks import run_job

pytestmark = pytest.mark.django_db

PAGES = [
    "1. PAYMENT\n\nInvoices are payable within thirty days of receipt by bank transfer.",
    "2. TERM\n\nThe agreement runs for thirty-six months from the effective date.",
]


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    """Ids of the jobs handed to the worker, in order (instead of reaching Redis)."""
    calls: list[str] = []
    monkeypatch.setattr(jobs, "enqueue_job", calls.append)
    return calls


@pytest.fixture
def indexed(index_document, make_member):
    matter, document = index_document("api-jobs", "msa.pdf", make_text_pdf(PAGES))
    viewer = make_member("viewer", "vera", in_matter=matter)
    return matter, document, viewer


def start(api, document, kind: str, body: dict, capture):
    with capture(execute=True):
        return api.post(f"/api/v1/documents/{document.pk}/{kind}/", {**body, "async": True},
                        format="json")  # fmt: skip


def test_async_summary_is_202_with_a_queued_job_and_its_status_url(
    indexed, api_as, queued, django_capture_on_commit_callbacks
):
    _, document, viewer = indexed

    response = start(api_as(viewer), document, "summary", {}, django_capture_on_commit_callbacks)

    body = response.json()
    job = Job.objects.get()
    assert response.status_code == 202
    assert response["Location"] == f"/api/v1/jobs/{job.pk}/"
    assert body == {
        "id": str(job.pk),
        "kind": "summary",
        "document": document.pk,
        "status": "queued",
        "result": None,
        "error": None,
        "created_at": body["created_at"],
        "started_at": None,
        "finished_at": None,
        "url": f"/api/v1/jobs/{job.pk}/",
    }
    assert (job.user, job.params) == (viewer, {"refresh": False})
    assert queued == [str(job.pk)]


def test_a_summary_job_run_by_the_worker_task_succeeds_with_the_summary(
    indexed, api_as, queued, answers_from_tiny_model, django_capture_on_commit_callbacks
):
    _, document, viewer = indexed
    job_id = start(api_as(viewer), document, "summary", {}, django_capture_on_commit_callbacks)
    job_id = job_id.json()["id"]

    run_job.apply(args=[job_id])  # the worker's task, run here
    response = api_as(viewer).get(f"/api/v1/jobs/{job_id}/")

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["error"]) == ("succeeded", None)
    assert body["result"]["coverage"] == {"pages_covered": 2, "pages_total": 2}
    assert body["started_at"] is not None and body["finished_at"] is not None


def test_an_extraction_job_succeeds_with_the_fields(
    indexed, api_as, queued, answers_from_tiny_model, django_capture_on_commit_callbacks
):
    _, document, viewer = indexed
    response = start(
        api_as(viewer), document, "extract", {"schema": "contract"},
        django_capture_on_commit_callbacks,
    )  # fmt: skip

    jobs.run(response.json()["id"])

    job = Job.objects.get()
    assert (job.status, job.kind, job.params) == ("succeeded", "extract", {"schema": "contract"})
    assert job.result["document"] == document.pk
    assert set(job.result["fields"]) == set(extraction.resolve_schema("contract")["properties"])


def test_an_extraction_job_whose_llm_is_down_fails_with_llm_unavailable_saying_why(
    indexed, api_as, queued, llm_down, django_capture_on_commit_callbacks
):
    _, document, viewer = indexed
    body = {"schema": "contract"}
    job_id = start(api_as(viewer), document, "extract", body, django_capture_on_commit_callbacks)
    job_id = job_id.json()["id"]

    jobs.run(job_id)
    body = api_as(viewer).get(f"/api/v1/jobs/{job_id}/").json()

    assert (body["status"], body["result"]) == ("failed", None)
    assert body["error"] == {
        "code": "llm_unavailable",
        "detail": "The language model is unavailable (connection refused); try again shortly.",
    }


def test_a_summary_job_whose_llm_is_down_succeeds_with_the_opening_sentences_marked_so(
    indexed, api_as, queued, llm_down, django_capture_on_commit_callbacks
):
    _, document, viewer = indexed
    job_id = start(api_as(viewer), document, "summary", {}, django_capture_on_commit_callbacks)
    job_id = job_id.json()["id"]

    jobs.run(job_id)
    body = api_as(viewer).get(f"/api/v1/jobs/{job_id}/").json()

    assert (body["status"], body["result"]["method"]) == (
        "succeeded", "extractive (opening sentences)",
    )  # fmt: skip
    assert body["result"]["warnings"] == [
        summaries.OPENING_NOTE.format(reason="connection refused")
    ]


def test_a_finished_job_is_not_run_again(indexed, viewer):
    _, document, _ = indexed
    job = Job.objects.create(user=viewer, document=document, kind="summary",
                             status=JobStatus.SUCCEEDED, result={"summary": "kept"})  # fmt: skip

    jobs.run(job.pk)

    job.refresh_from_db()
    assert (job.status, job.result, job.started_at) == ("succeeded", {"summary": "kept"}, None)


def test_async_extraction_with_an_unknown_schema_is_400_and_queues_nothing(
    indexed, api_as, queued, django_capture_on_commit_callbacks
):
    _, document, viewer = indexed

    response = start(
        api_as(viewer), document, "extract", {"schema": "horoscope"},
        django_capture_on_commit_callbacks,
    )  # fmt: skip

    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert (Job.objects.count(), queued) == (0, [])


def test_another_member_cannot_see_a_job(indexed, api_as, make_member, queued):
    matter, document, viewer = indexed
    job = jobs.submit(viewer, document, "summary", {})
    colleague = make_member("manager", "carol", in_matter=matter)

    response = api_as(colleague).get(f"/api/v1/jobs/{job.pk}/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Job not found."}


def test_a_job_is_gone_once_its_owner_leaves_the_matter(indexed, api_as, queued):
    _, document, viewer = indexed
    job = jobs.submit(viewer, document, "summary", {})
    viewer.memberships.all().delete()

    assert api_as(viewer).get(f"/api/v1/jobs/{job.pk}/").status_code == 404


def test_deleting_a_document_deletes_its_jobs_and_their_results(indexed, api_as, make_member):
    matter, document, viewer = indexed
    result = {"summary": "Invoices are payable"}
    Job.objects.create(user=viewer, document=document, kind="summary", result=result)
    editor = make_member("editor", "ed", in_matter=matter)

    response = api_as(editor).delete(f"/api/v1/documents/{document.pk}/")

    assert response.status_code == 200
    assert Job.objects.count() == 0


def test_an_unknown_job_is_404(api_as, viewer):
    response = api_as(viewer).get("/api/v1/jobs/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Job not found."}
