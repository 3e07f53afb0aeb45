"""The lifecycle commands: ``close_matter``, ``reopen_matter``, ``delete_matter``, ``hold``,
``retention`` and ``delete_document``. Each prints JSON lines, and refuses in words (a legal
hold's: who placed it, when, why) with a non-zero exit, never a traceback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from docproc.models import (
    AuditEvent,
    DeletionReceipt,
    Document,
    LegalHold,
    Matter,
    MatterDeletionReceipt,
    MatterStatus,
)
from docproc.models.audit import Action
from docproc.services import holds, matters
from tests.conftest import worker_env
from tests.factories import rows
from tests.factories.stored import make_stored_documents
from tests.support.paths import REPO

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def matter() -> Matter:
    return rows.make_matter("acme-audit")


def held_words(matter: Matter, reason: str) -> str:
    hold = LegalHold.objects.get(matter=matter, released_at__isnull=True)
    return (
        f"Matter {matter.slug} is under a legal hold placed by the system on "
        f"{hold.placed_at:%Y-%m-%d} ({reason}). Nothing it covers can be deleted or purged "
        "until the hold is released."
    )


# --- close_matter, reopen_matter ----------------------------------------------------------------


def test_close_matter_closes_it_and_prints_when_its_retention_ends(matter):
    Matter.objects.filter(pk=matter.pk).update(retention_years=7)

    (line,) = run("close_matter", "acme-audit", "--reason", "Engagement ended")

    closed = Matter.objects.get(pk=matter.pk)
    assert closed.status == MatterStatus.CLOSED
    assert line == {
        "matter": "acme-audit",
        "status": "closed",
        "closed_at": str(closed.closed_at),
        "retention_years": 7,
        "retention_ends": str(closed.retention_ends()),
    }
    event = AuditEvent.objects.filter(action=Action.MATTER_CHANGE).get()
    assert (event.actor_name, event.details["reason"]) == (
        "system:close_matter",
        "Engagement ended",
    )


def test_closing_a_closed_matter_is_refused_in_words(matter):
    run("close_matter", "acme-audit")

    with pytest.raises(CommandError, match="^The matter acme-audit is already closed.$"):
        run("close_matter", "acme-audit")


def test_reopen_matter_opens_it_again(matter):
    run("close_matter", "acme-audit")

    (line,) = run("reopen_matter", "acme-audit", "--reason", "New work")

    assert (line["status"], line["closed_at"], line["retention_ends"]) == ("open", None, None)
    assert Matter.objects.get(pk=matter.pk).status == MatterStatus.OPEN


def test_a_matter_that_does_not_exist_is_named(db):
    with pytest.raises(CommandError, match="no matter with slug 'nope'"):
        run("close_matter", "nope")


# --- hold ---------------------------------------------------------------------------------------


def test_hold_place_puts_a_matter_under_hold_with_its_reason(matter):
    (line,) = run("hold", "place", "--matter", "acme-audit", "--reason", "SEC inquiry")

    hold = LegalHold.objects.get()
    assert line == {
        "hold": hold.pk,
        "on": "matter",
        "matter": "acme-audit",
        "document": None,
        "reason": "SEC inquiry",
        "placed_by": "system",
        "placed_at": str(hold.placed_at),
        "active": True,
        "released_at": None,
        "release_reason": "",
    }
    event = AuditEvent.objects.get(action=Action.HOLD_CHANGE)
    assert (event.actor_name, event.details["change"]) == ("system:hold", "placed")


def test_hold_on_a_document_and_its_release(matter):
    document = make_stored_documents(matter, 1)[0]
    run("hold", "place", "--document", str(document.pk), "--reason", "Disputed")

    (line,) = run("hold", "release", "--document", str(document.pk), "--reason", "Resolved")

    assert (line["on"], line["document"], line["active"], line["release_reason"]) == (
        "document",
        document.pk,
        False,
        "Resolved",
    )
    assert holds.hold_covering(document) is None


def test_hold_list_shows_the_active_holds_only(matter):
    rows.make_matter("beta")
    run("hold", "place", "--matter", "acme-audit", "--reason", "One")
    run("hold", "place", "--matter", "beta", "--reason", "Two")
    run("hold", "release", "--matter", "beta")

    lines = run("hold", "list")

    assert [(line["matter"], line["reason"]) for line in lines] == [("acme-audit", "One")]


def test_hold_list_of_one_matter_leaves_the_others_out(matter):
    rows.make_matter("beta")
    run("hold", "place", "--matter", "acme-audit", "--reason", "One")
    run("hold", "place", "--matter", "beta", "--reason", "Two")

    lines = run("hold", "list", "--matter", "beta")

    assert [(line["matter"], line["reason"]) for line in lines] == [("beta", "Two")]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("place", "--matter", "acme-audit"), "A legal hold needs a reason"),
        (("place", "--reason", "x"), "name the matter"),
        (("release", "--matter", "acme-audit"), "There is no active legal hold on the matter"),
    ],
)
def test_hold_refuses_without_a_reason_a_target_or_a_hold_to_release(matter, args, words):
    with pytest.raises(CommandError, match=words):
        run("hold", *args)


def test_a_second_hold_on_the_same_matter_is_refused(matter):
    run("hold", "place", "--matter", "acme-audit", "--reason", "One")

    with pytest.raises(CommandError, match="The matter acme-audit is already under a legal hold"):
        run("hold", "place", "--matter", "acme-audit", "--reason", "Two")


# --- delete_matter, delete_document -------------------------------------------------------------


def test_delete_matter_removes_it_and_prints_its_receipt(matter):
    make_stored_documents(matter, 2)

    (line,) = run("delete_matter", "acme-audit")

    receipt = MatterDeletionReceipt.objects.get()
    assert line == {
        "receipt": receipt.pk,
        "matter": "acme-audit",
        "documents_removed": 2,
        "index_removed": True,
    }
    assert not Matter.objects.filter(slug="acme-audit").exists()


def test_delete_matter_under_hold_is_refused_with_the_holds_words(matter):
    make_stored_documents(matter, 1)
    run("hold", "place", "--matter", "acme-audit", "--reason", "Litigation 7")

    with pytest.raises(CommandError) as refused:
        run("delete_matter", "acme-audit")

    assert str(refused.value) == held_words(matter, "Litigation 7")
    assert Document.objects.filter(matter=matter).count() == 1


def test_delete_document_under_hold_is_refused_with_the_holds_words(matter):
    document = make_stored_documents(matter, 1)[0]
    run("hold", "place", "--matter", "acme-audit", "--reason", "Litigation 8")

    with pytest.raises(CommandError) as refused:
        run("delete_document", str(document.pk))

    assert str(refused.value) == held_words(matter, "Litigation 8")


def test_delete_document_in_a_closed_matter_is_refused_in_words(matter):
    document = make_stored_documents(matter, 1)[0]
    matters.close_matter(None, matter)

    with pytest.raises(CommandError, match="The matter acme-audit is closed"):
        run("delete_document", str(document.pk))


# --- retention ----------------------------------------------------------------------------------


@pytest.fixture
def past_retention(matter) -> Matter:
    """acme-audit closed in 2001 with a 1-year retention: 3 documents due."""
    make_stored_documents(matter, 3)
    Matter.objects.filter(pk=matter.pk).update(
        status=MatterStatus.CLOSED, closed_at=datetime(2001, 3, 1, tzinfo=UTC), retention_years=1
    )
    return matter


@pytest.mark.parametrize("days", ["-1", "36501", "99999999999"])
def test_retention_days_out_of_range_are_refused(db, days):
    with pytest.raises(CommandError, match="--days must be between 0 and 36500"):
        run("retention", "forecast", "--days", days)


def test_retention_forecast_lists_what_is_due(past_retention):
    (line,) = run("retention", "forecast", "--days", "10")

    assert (line["slug"], line["documents"], line["purge_on"]) == (
        "acme-audit",
        3,
        "2002-03-01T00:00:00+00:00",
    )


def test_retention_purge_dry_run_lists_and_removes_nothing(past_retention):
    (line,) = run("retention", "purge", "--dry-run")

    assert (line["slug"], line["documents"], line["held_documents"]) == ("acme-audit", 3, 0)
    assert Document.objects.filter(matter=past_retention).count() == 3
    assert AuditEvent.objects.filter(action=Action.PURGE).count() == 0


def test_retention_purge_removes_what_is_due_then_nothing(past_retention):
    first = run("retention", "purge")
    second = run("retention", "purge")

    assert first == [
        {
            "matter_id": past_retention.pk,
            "slug": "acme-audit",
            "purged": 3,
            "files_removed": 3,
            "held_documents": 0,
            "matter_hold": "",
        },
        {"purged": 3, "files_removed": 3},
    ]
    assert second == [{"purged": 0, "files_removed": 0}]
    assert DeletionReceipt.objects.filter(reason="retention").count() == 3
    assert AuditEvent.objects.get(action=Action.PURGE).actor_name == "system:retention"


def test_retention_purge_reports_a_held_matter_in_the_holds_words(past_retention):
    run("hold", "place", "--matter", "acme-audit", "--reason", "Tax audit")

    first, total = run("retention", "purge")

    assert (first["purged"], first["held_documents"]) == (0, 3)
    assert first["matter_hold"] == held_words(past_retention, "Tax audit")
    assert total == {"purged": 0, "files_removed": 0}


# --- as an operator runs them -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_refusal_exits_non_zero_with_words_and_no_traceback(isolated_storage):
    matter = rows.make_matter("held-matter")
    holds.place_hold(None, matter=matter, reason="Grand jury subpoena")

    done = subprocess.run(
        [sys.executable, "manage.py", "delete_matter", "held-matter"],
        cwd=REPO,
        env=worker_env(isolated_storage),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert done.stderr.strip() == f"CommandError: {held_words(matter, 'Grand jury subpoena')}"
    assert "Traceback" not in done.stderr + done.stdout
    assert Matter.objects.filter(slug="held-matter").exists()
