"""The sweeper queues again what a crash left stuck: once, only when nothing holds it, and
never past the attempt limit (services/sweeper.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from docproc.models import DeletionReceipt, Document, Job, JobKind, JobStatus, Matter
from docproc.services import dispatch, documents, indexes, locks, storage, sweeper
from tests.factories.rows import make_document, make_user
from tests.factories.stored import make_stored_documents
from tests.support.beat_process import queued

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("idle_broker")]

LONG_AGO = timedelta(hours=1)


def a_matter():
    return Matter.objects.get_or_create(slug="sweep", defaults={"name": "sweep"})[0]


def stuck_document(status, name="stuck.pdf", attempts=0, age=LONG_AGO):
    document = make_document(a_matter(), name, status=status, attempts=attempts)
    Document.objects.filter(pk=document.pk).update(updated_at=timezone.now() - age)
    return document


def stuck_job(status, age=LONG_AGO, attempts=0):
    document = make_document(a_matter(), f"doc-{Job.objects.count()}.pdf")
    then = timezone.now() - age
    job = Job.objects.create(
        user=make_user(f"asker-{Job.objects.count()}"),
        document=document,
        kind=JobKind.SUMMARY,
        status=status,
        attempts=attempts,
        started_at=then if status == JobStatus.RUNNING else None,
    )
    Job.objects.filter(pk=job.pk).update(created_at=then)
    return job


@pytest.mark.parametrize(
    ("status", "task"),
    [
        ("received", dispatch.PROCESS_DOCUMENT),
        ("parsing", dispatch.PROCESS_DOCUMENT),
        ("chunking", dispatch.CHUNK_DOCUMENT),
        ("embedding", dispatch.EMBED_DOCUMENT),
    ],
)
def test_a_stuck_document_is_queued_again_from_its_stage(idle_broker, status, task):
    document = stuck_document(status)

    report = sweeper.sweep()

    document.refresh_from_db()
    assert report.requeued_documents == [document.pk]
    assert (document.status, document.attempts) == (status, 1)
    queue = "embed" if task == dispatch.EMBED_DOCUMENT else "parse"
    assert queued(idle_broker, queue) == [(task, [document.pk])]


def test_sweeping_twice_queues_a_stuck_document_once(idle_broker):
    document = stuck_document("parsing")

    first = sweeper.sweep()
    # Even once its timeout has passed again, the message it was given still holds it.
    second = sweeper.sweep(now=timezone.now() + 2 * LONG_AGO)

    assert (first.requeued_documents, second.requeued_documents) == ([document.pk], [])
    assert queued(idle_broker, "parse") == [(dispatch.PROCESS_DOCUMENT, [document.pk])]
    assert Document.objects.get(pk=document.pk).attempts == 1


def test_a_document_whose_task_is_still_queued_is_left_alone(idle_broker):
    document = stuck_document("chunking")
    dispatch.send(dispatch.CHUNK_DOCUMENT, document.pk)

    report = sweeper.sweep()

    assert report.requeued_documents == []
    assert Document.objects.get(pk=document.pk).attempts == 0
    assert len(queued(idle_broker, "parse")) == 1


def test_recent_and_finished_documents_are_left_alone(idle_broker):
    fresh = stuck_document("parsing", "fresh.pdf", age=timedelta(seconds=10))
    done = [stuck_document(s, f"{s}.pdf") for s in ("indexed", "failed", "needs_password")]

    report = sweeper.sweep()

    assert report.requeued_documents == [] and report.failed_documents == []
    assert queued(idle_broker, "parse") == []
    assert sorted(
        Document.objects.filter(pk__in=[d.pk for d in done]).values_list("attempts", flat=True)
    ) == [0, 0, 0]
    assert Document.objects.get(pk=fresh.pk).attempts == 0


def test_a_document_out_of_attempts_fails_with_a_reason_instead_of_looping(idle_broker, settings):
    settings.MAX_ATTEMPTS = 3
    document = stuck_document("parsing", attempts=3)

    report = sweeper.sweep()

    document.refresh_from_db()
    assert report.failed_documents == [document.pk]
    assert (document.status, document.attempts) == ("failed", 4)
    assert document.reason.startswith("Processing was interrupted 4 times")
    assert queued(idle_broker, "parse") == []


def test_redeliveries_count_as_attempts_and_the_last_one_fails_the_document(settings):
    settings.MAX_ATTEMPTS = 2
    document = stuck_document("parsing", age=timedelta(0))

    allowed = [sweeper.note_redelivery(document.pk) for _ in range(3)]

    document.refresh_from_db()
    assert allowed == [True, True, False]
    assert (document.status, document.attempts) == ("failed", 3)


def test_reaching_indexed_clears_the_attempts():
    document = stuck_document("indexed", attempts=2, age=timedelta(0))

    sweeper.finished(document.pk)

    assert Document.objects.get(pk=document.pk).attempts == 0


def test_a_lost_queued_job_is_queued_again_on_the_llm_queue(idle_broker):
    job = stuck_job(JobStatus.QUEUED)

    report = sweeper.sweep()

    assert report.requeued_jobs == [str(job.pk)]
    assert queued(idle_broker, "llm") == [(dispatch.RUN_JOB, [str(job.pk)])]
    assert Job.objects.get(pk=job.pk).attempts == 1


def test_a_running_job_held_by_its_task_and_a_recent_job_are_left_alone(idle_broker):
    running = stuck_job(JobStatus.RUNNING)
    dispatch.send(dispatch.RUN_JOB, str(running.pk))
    recent = stuck_job(JobStatus.QUEUED, age=timedelta(seconds=5))

    report = sweeper.sweep()

    assert report.requeued_jobs == []
    assert Job.objects.get(pk=running.pk).attempts == 0
    assert Job.objects.get(pk=recent.pk).attempts == 0


def test_a_job_out_of_attempts_fails_with_an_error(idle_broker, settings):
    settings.MAX_ATTEMPTS = 1
    job = stuck_job(JobStatus.RUNNING, attempts=1)

    report = sweeper.sweep()

    job.refresh_from_db()
    assert report.failed_jobs == [str(job.pk)]
    assert job.status == JobStatus.FAILED
    assert job.error == {
        "code": "server_error",
        "detail": "The job was interrupted 2 times and was not tried again.",
    }
    assert queued(idle_broker, "llm") == []


def _blob_locks_wait_briefly(monkeypatch):
    """A removal gives up on busy blob locks after 0.2 s rather than 30 s."""
    real = locks.blobs
    monkeypatch.setattr(locks, "blobs", lambda shas, wait_seconds=30.0: real(shas, 0.2))
    return real


def test_an_original_a_deletion_had_to_leave_is_removed_by_the_next_sweep(monkeypatch):
    (document,) = make_stored_documents(a_matter(), 1)
    path = storage.blob_path(document.sha256)
    real_blobs = _blob_locks_wait_briefly(monkeypatch)

    with real_blobs([document.sha256]):  # someone else holds the original's lock meanwhile
        receipt = documents.delete_document(document)

    assert not Document.objects.filter(pk=document.pk).exists()  # the deletion stands
    assert path.exists() and not DeletionReceipt.objects.get(pk=receipt.pk).file_removed

    report = sweeper.sweep()

    assert report.removed_originals == [document.sha256]
    assert not path.exists() and DeletionReceipt.objects.get(pk=receipt.pk).file_removed
    assert sweeper.sweep().removed_originals == []


def test_the_sweep_keeps_an_original_another_document_still_uses(monkeypatch):
    (document,) = make_stored_documents(a_matter(), 1)
    other = Matter.objects.create(slug="sweep-other", name="other")
    make_document(other, "same-bytes.pdf", content=storage.read(document.sha256))
    real_blobs = _blob_locks_wait_briefly(monkeypatch)
    with real_blobs([document.sha256]):
        receipt = documents.delete_document(document)

    assert sweeper.sweep().removed_originals == []
    assert storage.blob_path(document.sha256).exists()
    assert not DeletionReceipt.objects.get(pk=receipt.pk).file_removed


def test_the_index_of_a_deleted_matter_left_on_disk_is_removed_by_the_sweep(settings, tmp_path):
    settings.INDEX_DIR = tmp_path / "index"  # this test's indexes alone
    (kept_document,) = make_stored_documents(a_matter(), 1)
    orphan = Path(settings.INDEX_DIR) / "matter-987654"
    orphan.mkdir(parents=True)
    (orphan / "index.faiss").write_bytes(b"vectors of a matter deleted meanwhile")

    report = sweeper.sweep()

    assert report.removed_indexes == [987654] and not orphan.exists()
    assert indexes.index_dir(kept_document.matter_id).exists()
    assert sweeper.sweep().removed_indexes == []
