"""The audit log is one hash chain: verify_audit accepts it untouched and names the first broken
link when a record is altered or removed; PostgreSQL itself refuses to change or delete rows;
concurrent appends never fork the chain."""

from __future__ import annotations

import json
import threading

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from docproc.models import AuditEvent
from docproc.models.audit import GENESIS_HASH, Action
from docproc.services import audit
from tests.audit.conftest import events, tamper

pytestmark = pytest.mark.django_db

on_postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="the append-only trigger exists on PostgreSQL only; SQLite relies on the chain",
)


def verify_audit() -> tuple[int, dict]:
    """Run ``manage.py verify_audit``: its exit status and the JSON it printed."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("verify_audit", stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, json.loads(out.getvalue())


def three_searches(matter) -> list[AuditEvent]:
    return [
        audit.record(None, Action.SEARCH, matter=matter, details={"query": q})
        for q in ("indemnity", "termination", "governing law")
    ]


def test_records_are_numbered_from_one_and_each_carries_the_previous_hash(matter):
    first, second, third = three_searches(matter)

    assert [e.seq for e in events()] == [1, 2, 3]
    assert (first.prev_hash, second.prev_hash, third.prev_hash) == (
        GENESIS_HASH,
        first.hash,
        second.hash,
    )


def test_a_record_read_back_from_the_database_matches_its_hash(matter):
    written = audit.record(
        None,
        Action.ASK,
        matter=matter,
        details={
            "latency_s": 0.1,
            "huge": 1e16,
            "negative_zero": -0.0,
            "tiny": 1.5e-7,
            "not_a_number": float("nan"),
            "text": "naïve \x00 “quoted” 中文",
            "nested": {"b": [1, 2.5, None, True], "a": "x"},
        },
    )

    stored = AuditEvent.objects.get(pk=written.pk)

    assert stored.compute_hash() == stored.hash == written.hash
    assert stored.details["huge"] == 10_000_000_000_000_000
    assert stored.details["not_a_number"] == "nan"
    assert stored.details["text"] == "naïve \ufffd “quoted” 中文"


def test_verify_audit_accepts_an_untouched_chain(matter):
    three_searches(matter)

    assert verify_audit() == (
        0,
        {"ok": True, "checked": 3, "first_broken_seq": None, "problem": None},
    )


def test_verify_audit_accepts_an_empty_log():
    assert verify_audit() == (
        0,
        {"ok": True, "checked": 0, "first_broken_seq": None, "problem": None},
    )


def test_altering_one_records_details_makes_verify_audit_fail_naming_that_record(matter):
    three_searches(matter)

    tamper(
        "UPDATE docproc_auditevent SET details = %s WHERE seq = 2",
        [json.dumps({"query": "nothing to see"})],
    )

    assert verify_audit() == (
        1,
        {
            "ok": False,
            "checked": 2,
            "first_broken_seq": 2,
            "problem": "record 2 was altered: its hash does not match its content",
        },
    )


def test_altering_who_acted_makes_verify_audit_fail_naming_that_record(matter):
    three_searches(matter)

    tamper("UPDATE docproc_auditevent SET actor_name = 'someone-else' WHERE seq = 3")

    code, status = verify_audit()
    assert (code, status["first_broken_seq"]) == (1, 3)


def test_a_record_rewritten_with_a_fresh_hash_breaks_the_link_of_the_next(matter):
    three_searches(matter)
    forged = AuditEvent.objects.get(seq=2)
    forged.details = {"query": "nothing to see"}
    tamper(
        "UPDATE docproc_auditevent SET details = %s, hash = %s WHERE seq = 2",
        [json.dumps(forged.details), forged.compute_hash()],
    )

    assert verify_audit() == (
        1,
        {
            "ok": False,
            "checked": 3,
            "first_broken_seq": 3,
            "problem": "record 3 does not link to record 2: its prev_hash is not that record's "
            "hash (one of them was altered or replaced)",
        },
    )


def test_deleting_a_record_makes_verify_audit_fail_naming_the_gap(matter):
    three_searches(matter)

    tamper("DELETE FROM docproc_auditevent WHERE seq = 2")

    assert verify_audit() == (
        1,
        {
            "ok": False,
            "checked": 2,
            "first_broken_seq": 2,
            "problem": "record 2 is missing (the chain jumps from record 1 to record 3): removed",
        },
    )


def test_deleting_the_first_records_is_reported_from_record_one(matter):
    three_searches(matter)

    tamper("DELETE FROM docproc_auditevent WHERE seq IN (1, 2)")

    assert audit.verify_chain() == audit.ChainStatus(
        ok=False,
        checked=1,
        first_broken_seq=1,
        problem="records 1 to 2 are missing (the chain starts to record 3): removed",
    )


@on_postgresql_only
def test_the_database_refuses_to_update_an_audit_record(matter):
    three_searches(matter)

    refused = "the audit log is append-only: UPDATE of audit record 2 refused"
    with pytest.raises(DatabaseError, match=refused):
        with transaction.atomic():
            AuditEvent.objects.filter(seq=2).update(details={"query": "nothing to see"})


@on_postgresql_only
def test_the_database_refuses_to_delete_an_audit_record(matter):
    three_searches(matter)

    refused = "the audit log is append-only: DELETE of audit record 1 refused"
    with pytest.raises(DatabaseError, match=refused):
        with transaction.atomic():
            AuditEvent.objects.filter(seq=1).delete()

    assert [e.seq for e in events()] == [1, 2, 3]


@on_postgresql_only
def test_the_database_refuses_to_point_a_record_at_another_user(matter, make_user):
    alice, mallory = make_user("alice"), make_user("mallory")
    audit.record(alice, Action.SEARCH, matter=matter)

    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.filter(seq=1).update(actor=mallory)


def test_deleting_a_user_keeps_their_records_by_name_and_the_chain_intact(matter, make_user):
    alice = make_user("alice")
    audit.record(alice, Action.SEARCH, matter=matter)

    alice.delete()

    record = AuditEvent.objects.get(seq=1)
    assert (record.actor_id, record.actor_name) == (None, "alice")
    assert audit.verify_chain() == audit.ChainStatus(ok=True, checked=1)


def test_deleting_a_matter_keeps_its_records_by_slug_and_the_chain_intact(other_matter):
    audit.record(None, Action.SEARCH, matter=other_matter)

    other_matter.delete()

    record = AuditEvent.objects.get(seq=1)
    assert (record.matter_id, record.matter_slug) == (None, "acme-audit")
    assert audit.verify_chain() == audit.ChainStatus(ok=True, checked=1)


def test_a_record_rolled_back_with_its_transaction_leaves_no_gap(matter):
    audit.record(None, Action.SEARCH, matter=matter)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(None, Action.SEARCH, matter=matter)
        raise RuntimeError("the work being recorded failed")
    audit.record(None, Action.SEARCH, matter=matter)

    assert [e.seq for e in events()] == [1, 2]
    assert audit.verify_chain() == audit.ChainStatus(ok=True, checked=2)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_from_many_threads_keep_a_single_chain():
    threads, each = 8, 15
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            start.wait()
            for n in range(each):
                audit.record(None, Action.SEARCH, details={"worker": worker, "n": n})
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=append, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()

    records = events()
    assert failures == []
    assert [e.seq for e in records] == list(range(1, threads * each + 1))
    assert len({e.prev_hash for e in records}) == threads * each  # no two share a parent
    assert audit.verify_chain() == audit.ChainStatus(ok=True, checked=threads * each)
