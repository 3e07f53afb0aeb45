"""The periodic stale-members report (``workers.tasks.report_stale_members``): a CSV in the
report directory and an audit record; beat sends it on its schedule to the parse queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from docproc import task_queues
from docproc.celery_app import app
from docproc.models import AuditEvent, Membership, Role
from docproc.models.audit import Action
from docproc.services import audit, memberships
from tests.factories import rows as factory
from tests.support.beat_process import sent_by_beat
from workers.tasks import report_stale_members

pytestmark = pytest.mark.django_db


def test_the_task_writes_the_stale_members_csv_and_records_it(settings, tmp_path):
    settings.REPORT_DIR = tmp_path / "reports"
    settings.STALE_MEMBER_DAYS = 90
    smith = factory.make_matter("smith-v-jones", "Smith v Jones")
    for name in ("alice", "bob", "carol"):
        factory.make_user(name)
        memberships.add_member(smith, name, Role.VIEWER)
    now = timezone.now()
    Membership.objects.filter(user__username__in=["alice", "bob"]).update(
        created_at=now - timedelta(days=120)
    )
    audit.record(Membership.objects.get(user__username="alice").user, Action.SEARCH, matter=smith)

    result = report_stale_members()

    files = list((tmp_path / "reports").iterdir())
    assert [f.name for f in files] == [result["path"].rsplit("/", 1)[-1]]
    assert files[0].name.startswith("stale-members-") and files[0].suffix == ".csv"
    assert (result["days"], result["rows"]) == (90, 1)
    lines = files[0].read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and lines[1].startswith("smith-v-jones,Smith v Jones,bob,,viewer,")
    assert lines[1].endswith(",,120")
    event = AuditEvent.objects.filter(action=Action.ACCESS_REVIEW).get()
    assert (event.actor_name, event.details) == (
        "system:report_stale_members",
        {"output": "report", "filters": {}, "rows": 1, "stale_days": 90, "file": files[0].name},
    )


def test_beat_sends_the_report_on_its_schedule_to_the_parse_queue(settings):
    entry = app.conf.beat_schedule["report-stale-members"]

    assert entry["task"] == "workers.tasks.report_stale_members"
    assert entry["schedule"] == settings.ACCESS_REPORT_EVERY_S == 7 * 24 * 3600.0
    assert task_queues.ROUTES["workers.tasks.report_stale_members"] == {"queue": task_queues.PARSE}
    assert settings.REPORT_DIR == settings.DATA_DIR / "reports"


def test_beat_started_as_compose_starts_it_sends_the_report(tmp_path):
    """A real beat process with a one-second period: the report lands on the parse queue (and
    not at start-up: it waits out its period first, like the sweep)."""
    sent = sent_by_beat(tmp_path, "DOCPROC_ACCESS_REPORT_EVERY_S", task_queues.PARSE)

    assert {task for task, _ in sent} == {"workers.tasks.report_stale_members"}
