"""The scheduled retention purge: beat sends ``workers.tasks.purge_past_retention`` every
``DOCPROC_RETENTION_EVERY_S`` to the parse queue, a real worker runs it, documents past retention
go with receipts (holds respected), and the run's report and next month's forecast are logged and
kept for the compliance pages."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from docproc import task_queues as queues
from docproc.models import AuditEvent, DeletionReceipt, Document, Matter, MatterStatus
from docproc.models.audit import Action
from docproc.services import holds, retention, storage
from tests.conftest import worker_env
from tests.factories import rows
from tests.factories.stored import make_stored_documents
from tests.support.beat_process import sent_by_beat
from tests.support.paths import ARTIFACTS
from tests.support.worker_process import WorkerProcess
from workers import app, tasks


@pytest.fixture(autouse=True)
def no_run_yet():
    """Each test starts with no scheduled run remembered."""
    cache.delete(retention.LAST_RUN_KEY)


def closed_matter(slug: str, closed: datetime, years: int) -> Matter:
    matter = rows.make_matter(slug)
    Matter.objects.filter(pk=matter.pk).update(
        status=MatterStatus.CLOSED, closed_at=closed, retention_years=years
    )
    matter.refresh_from_db()
    return matter


def test_beat_schedules_the_purge_daily_on_the_parse_queue():
    entry = app.conf.beat_schedule["purge-past-retention"]

    assert entry == {
        "task": "workers.tasks.purge_past_retention",
        "schedule": 86400.0,
        "options": {"expires": 86400.0},
    }
    assert queues.ROUTES["workers.tasks.purge_past_retention"] == {"queue": queues.PARSE}


def test_beat_sends_the_purge_every_retention_period(tmp_path):
    sent = sent_by_beat(tmp_path, "DOCPROC_RETENTION_EVERY_S", queues.PARSE)

    assert {task for task, _ in sent} == {"workers.tasks.purge_past_retention"}


@pytest.mark.django_db
def test_the_task_purges_and_reports_next_months_purges(settings):
    settings.RETENTION_FORECAST_DAYS = 45
    now = timezone.now()
    expired = closed_matter("expired", now - timedelta(days=3 * 366), 2)
    make_stored_documents(expired, 2)
    soon = closed_matter("due-soon", now - timedelta(days=365 * 2 - 40), 2)
    make_stored_documents(soon, 3, first=100)

    outcome = tasks.purge_past_retention()

    (upcoming,) = retention.forecast(45)
    assert (outcome["purged"], outcome["files_removed"], outcome["forecast_days"]) == (2, 2, 45)
    assert [m["slug"] for m in outcome["matters"]] == ["expired"]
    assert outcome["forecast"] == [upcoming.as_dict()]
    assert (upcoming.slug, upcoming.documents) == ("due-soon", 3)
    assert retention.last_run() == outcome
    assert AuditEvent.objects.get(action=Action.PURGE).actor_name == "system:purge_past_retention"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_purge_and_respects_a_hold(isolated_storage):
    expired = closed_matter("worker-expired", datetime(2010, 1, 1, tzinfo=UTC), 3)
    gone = make_stored_documents(expired, 4)
    held_matter = closed_matter("worker-held", datetime(2010, 1, 1, tzinfo=UTC), 3)
    kept = make_stored_documents(held_matter, 2, first=50)
    holds.place_hold(None, matter=held_matter, reason="Pending appeal")
    worker = WorkerProcess(
        worker_env(isolated_storage),
        ARTIFACTS / "retention-worker.log",
        concurrency=1,
        queues=(queues.PARSE,),
    )
    try:
        worker.wait_ready(app)
        app.send_task("workers.tasks.purge_past_retention")
        deadline = time.monotonic() + 120
        while retention.last_run() is None:
            assert time.monotonic() < deadline, worker.log()[-3000:]
            time.sleep(0.3)
    finally:
        worker.stop()

    report = retention.last_run()
    assert report is not None and report["purged"] == 4
    assert [(m["slug"], m["purged"], m["held_documents"]) for m in report["matters"]] == [
        ("worker-expired", 4, 0),
        ("worker-held", 0, 2),
    ]
    assert "Pending appeal" in report["matters"][1]["matter_hold"]
    assert Document.objects.filter(matter=expired).count() == 0
    assert DeletionReceipt.objects.filter(matter=expired, reason="retention").count() == 4
    assert [storage.blob_path(d.sha256).exists() for d in gone] == [False] * 4
    assert Document.objects.filter(matter=held_matter).count() == 2
    assert all(storage.blob_path(d.sha256).exists() for d in kept)
