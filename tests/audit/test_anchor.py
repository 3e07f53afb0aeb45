"""The chain's head anchored outside the database: every full check (verify_audit, the scheduled
task) appends it to an append-only file and optionally to syslog; removing the newest records
is then reported as "cut short"; PostgreSQL refuses TRUNCATE of the log; each full check leaves
a checkpoint the console's live check starts from."""

from __future__ import annotations

import json
import os
import socket

import pytest
from django.db import DatabaseError, connection, transaction

from docproc.models import AuditCheckpoint, AuditEvent
from docproc.models.audit import Action
from docproc.services import audit
from tests.audit.conftest import tamper
from tests.audit.test_chain import three_searches, verify_audit
from workers.tasks import verify_audit_chain

pytestmark = pytest.mark.django_db

on_postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="the TRUNCATE trigger exists on PostgreSQL only; SQLite has no TRUNCATE",
)


def anchored(settings) -> list[dict]:
    with open(settings.AUDIT_ANCHOR_FILE, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_verify_audit_appends_the_head_to_the_anchor_file(settings, matter):
    searches = three_searches(matter)
    verify_audit()
    audit.record(None, Action.SEARCH, matter=matter, details={"query": "notice"})

    verify_audit()

    lines = anchored(settings)
    fourth = AuditEvent.objects.get(seq=4)
    assert [(line["seq"], line["hash"]) for line in lines] == [
        (3, searches[2].hash),
        (4, fourth.hash),
    ]
    assert all(line["at"].endswith("Z") for line in lines)
    assert os.stat(settings.AUDIT_ANCHOR_FILE).st_mode & 0o777 == 0o600


def test_removing_the_newest_records_is_reported_as_cut_short(settings, matter):
    three_searches(matter)
    audit.record(None, Action.SEARCH, matter=matter, details={"query": "notice"})
    verify_audit()

    tamper("DELETE FROM docproc_auditevent WHERE seq >= 3")

    code, status = verify_audit()
    assert code == 1
    assert status["first_broken_seq"] == 3
    assert status["problem"].startswith(
        "the chain was cut short: it ends at record 2, but record 4 was anchored at "
    )
    assert status["problem"].endswith("; records 3 to 4 are missing")
    assert len(anchored(settings)) == 1  # a broken chain is not anchored


def test_newest_records_removed_and_written_again_are_reported(matter):
    three_searches(matter)
    verify_audit()
    tamper("DELETE FROM docproc_auditevent WHERE seq = 3")
    audit.record(None, Action.SEARCH, matter=matter, details={"query": "something else"})

    code, status = verify_audit()

    assert code == 1
    assert (status["ok"], status["first_broken_seq"]) == (False, 3)
    assert status["problem"].startswith(
        "the chain was cut short and written again: record 3 is not the one anchored at "
    )


def test_an_emptied_log_is_reported_as_cut_short(matter):
    three_searches(matter)
    verify_audit()
    tamper("DELETE FROM docproc_auditevent")

    code, status = verify_audit()

    assert (code, status["checked"], status["first_broken_seq"]) == (1, 0, 1)
    assert "records 1 to 3 are missing" in status["problem"]


@on_postgresql_only
def test_the_database_refuses_to_truncate_the_audit_log(matter):
    three_searches(matter)

    with pytest.raises(DatabaseError, match="append-only: TRUNCATE of docproc_auditevent"):
        with transaction.atomic(), connection.cursor() as cursor:
            # No foreign-key checks pending, or PostgreSQL refuses TRUNCATE for that reason.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE docproc_auditevent")

    assert AuditEvent.objects.count() == 3


@on_postgresql_only
def test_the_database_refuses_to_truncate_or_change_checkpoints(matter):
    three_searches(matter)
    verify_audit()

    for sql in (
        "TRUNCATE docproc_auditcheckpoint",
        "UPDATE docproc_auditcheckpoint SET ok = false",
        "DELETE FROM docproc_auditcheckpoint",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(sql)

    assert list(AuditCheckpoint.objects.values_list("ok", flat=True)) == [True]


def test_the_head_is_sent_to_syslog_when_configured(settings, matter):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    settings.AUDIT_SYSLOG_ADDRESS = f"127.0.0.1:{receiver.getsockname()[1]}"
    searches = three_searches(matter)
    try:
        verify_audit()
        message = receiver.recv(4096).decode("utf-8")
    finally:
        receiver.close()

    line = anchored(settings)[0]
    assert message.startswith("<36>docproc-audit: ")  # facility auth (4) * 8 + warning (4)
    assert json.loads(message.split("docproc-audit: ", 1)[1].rstrip("\x00")) == line
    assert (line["seq"], line["hash"]) == (3, searches[2].hash)


def test_the_scheduled_task_checks_checkpoints_and_anchors(settings, matter):
    searches = three_searches(matter)

    result = verify_audit_chain()

    checkpoint = AuditCheckpoint.objects.get()
    assert result == {"ok": True, "checked": 3, "first_broken_seq": None, "problem": None}
    assert (checkpoint.seq, checkpoint.hash, checkpoint.ok, checkpoint.checked) == (
        3, searches[2].hash, True, 3,
    )  # fmt: skip
    assert anchored(settings)[0]["seq"] == 3


def test_a_failed_full_check_leaves_a_failed_checkpoint(matter):
    three_searches(matter)
    tamper("UPDATE docproc_auditevent SET details = '{}' WHERE seq = 2")

    verify_audit_chain()

    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.ok, checkpoint.seq, checkpoint.first_broken_seq) == (False, 1, 2)
    assert checkpoint.problem == "record 2 was altered: its hash does not match its content"


def test_the_live_check_verifies_only_the_records_after_the_last_checkpoint(matter):
    three_searches(matter)
    verify_audit()
    audit.record(None, Action.SEARCH, matter=matter, details={"query": "notice"})
    audit.record(None, Action.SEARCH, matter=matter, details={"query": "breach"})

    check = audit.live_check()

    assert (check.since.seq, check.full.seq) == (3, 3)
    assert check.status == audit.ChainStatus(ok=True, checked=2)


def test_the_live_check_finds_a_record_altered_after_the_checkpoint(matter):
    three_searches(matter)
    verify_audit()
    audit.record(None, Action.SEARCH, matter=matter, details={"query": "notice"})
    tamper("UPDATE docproc_auditevent SET details = '{}' WHERE seq = 4")

    assert audit.live_check().status == audit.ChainStatus(
        ok=False,
        checked=1,
        first_broken_seq=4,
        problem="record 4 was altered: its hash does not match its content",
    )


def test_the_live_check_finds_the_checkpointed_record_removed(matter):
    three_searches(matter)
    verify_audit()
    tamper("DELETE FROM docproc_auditevent WHERE seq = 3")

    status = audit.live_check().status

    assert (status.ok, status.first_broken_seq) == (False, 3)
    assert status.problem.startswith("record 3, found intact by the full check of ")
    assert status.problem.endswith(", is missing")
