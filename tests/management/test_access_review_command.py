"""``manage.py access_review``: the review (or the stale members) as JSON lines or CSV,
recorded in the audit log as done by ``system:access_review``."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from docproc.models import AuditEvent, Membership, Role
from docproc.models.audit import Action
from docproc.services import memberships
from tests.factories import rows as factory

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm(db):
    smith = factory.make_matter("smith-v-jones", "Smith v Jones")
    acme = factory.make_matter("acme-audit", "Acme audit")
    for name in ("alice", "bob"):
        factory.make_user(name)
    memberships.add_member(smith, "alice", Role.MANAGER)
    memberships.add_member(smith, "bob", Role.VIEWER)
    memberships.add_member(acme, "bob", Role.EDITOR)
    return smith


def run(*args: str) -> list[dict]:
    out = StringIO()
    call_command("access_review", *args, stdout=out, stderr=StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_prints_one_json_object_a_row_and_records_the_review(firm):
    found = run("--user", "bob")

    assert [(o["matter"], o["user"], o["access"], o["role"], o["last_access"]) for o in found] == [
        ("acme-audit", "bob", "member", "editor", None),
        ("smith-v-jones", "bob", "member", "viewer", None),
    ]
    assert found[0]["added_by"] is None and found[0]["added_at"].endswith("Z")
    event = AuditEvent.objects.filter(action=Action.ACCESS_REVIEW).get()
    assert (event.actor_name, event.details) == (
        "system:access_review",
        {"output": "command", "filters": {"user": "bob"}, "rows": 2},
    )


def test_writes_csv_to_a_file(firm, tmp_path):
    target = tmp_path / "review.csv"

    assert run("--matter", "smith-v-jones", "--csv", str(target)) == []

    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("matter,matter_name,matter_status,user,")
    assert [line.split(",")[3] for line in lines[1:]] == ["alice", "bob"]
    event = AuditEvent.objects.filter(action=Action.ACCESS_REVIEW).get()
    assert event.details == {"output": "csv", "filters": {"matter": "smith-v-jones"}, "rows": 2}


def test_stale_days_lists_members_idle_that_long(firm, tmp_path):
    Membership.objects.filter(matter=firm, user__username="bob").update(
        created_at=timezone.now() - timedelta(days=40)
    )

    found = run("--stale-days", "30")
    target = tmp_path / "stale.csv"
    run("--stale-days", "30", "--csv", str(target))

    assert [(o["matter"], o["user"], o["role"], o["idle_days"]) for o in found] == [
        ("smith-v-jones", "bob", "viewer", 40)
    ]
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "matter,matter_name,user,full_name,role,added_by,added_at,last_access,idle_days"
    )
    assert lines[1].startswith("smith-v-jones,Smith v Jones,bob,,viewer,,") and lines[1].endswith(
        ",,40"
    )
    details = [e.details for e in AuditEvent.objects.filter(action=Action.ACCESS_REVIEW)]
    assert details == [
        {"output": "command", "filters": {}, "rows": 1, "stale_days": 30},
        {"output": "csv", "filters": {}, "rows": 1, "stale_days": 30},
    ]


@pytest.mark.parametrize("days", ["-1", "36501", "99999999999"])
def test_stale_days_out_of_range_is_refused(firm, days):
    with pytest.raises(CommandError, match="--stale-days must be between 0 and 36500"):
        run("--stale-days", days)
