"""The retention purge (services/retention.py): a closed matter's documents go once its retention
period (its own, else its practice area's) has run from the day it closed, with a receipt each
and one PURGE audit record; legal holds keep what they cover; the matter itself stays; a second
run, or one beside it, purges nothing twice; the forecast says what goes next."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from docproc.models import (
    AuditEvent,
    Chunk,
    DeletionReason,
    DeletionReceipt,
    Document,
    Matter,
    MatterStatus,
    Page,
    PracticeArea,
)
from docproc.models.audit import Action
from docproc.pipeline.types import TransientError
from docproc.services import holds, indexes, matters, retention, storage
from tests.factories import rows
from tests.factories.stored import content_for, make_stored_documents, write_blob

pytestmark = pytest.mark.django_db

NOW = datetime(2031, 6, 15, 12, 0, tzinfo=UTC)


def closed_matter(slug: str, *, closed: datetime, years: int | None = None, area=None) -> Matter:
    """A matter closed at ``closed`` (through the service, then dated), ``years`` of retention."""
    matter = rows.make_matter(slug)
    matter.retention_years, matter.practice_area = years, area
    matter.save()
    matters.close_matter(None, matter)
    Matter.objects.filter(pk=matter.pk).update(closed_at=closed)
    matter.refresh_from_db()
    return matter


@pytest.fixture
def expired(db) -> tuple[Matter, list[Document]]:
    """A matter closed seven years and a day before NOW, with a 7-year retention: 3 documents."""
    matter = closed_matter("old-lease", closed=datetime(2024, 6, 14, 12, 0, tzinfo=UTC), years=7)
    return matter, make_stored_documents(matter, 3)


def test_a_matter_closed_longer_ago_than_its_retention_is_past_it(expired):
    matter, documents = expired

    assert [m.slug for m in retention.matters_past_retention(NOW)] == ["old-lease"]
    assert sorted(retention.documents_past_retention(NOW).values_list("pk", flat=True)) == sorted(
        d.pk for d in documents
    )


def test_a_matter_still_within_its_retention_is_not(db):
    closed_matter("recent", closed=NOW - timedelta(days=364), years=1)

    assert retention.matters_past_retention(NOW) == []


def test_an_open_matter_is_never_past_retention(db):
    matter = rows.make_matter("open-one")
    Matter.objects.filter(pk=matter.pk).update(retention_years=0)
    make_stored_documents(matter, 1)

    assert retention.matters_past_retention(NOW) == []
    assert retention.purge(NOW).purged == 0


def test_a_matter_with_no_retention_of_its_own_or_its_practice_area_is_kept(db):
    closed_matter("kept-forever", closed=datetime(1990, 1, 1, tzinfo=UTC))

    assert retention.matters_past_retention(NOW) == []


def test_the_practice_area_default_applies_when_the_matter_has_none(db):
    area = PracticeArea.objects.create(slug="oncology", name="Oncology", default_retention_years=10)
    closed_matter("patient-a", closed=NOW - timedelta(days=365 * 10 + 3), area=area)
    closed_matter("patient-b", closed=NOW - timedelta(days=365 * 9), area=area)

    assert [m.slug for m in retention.matters_past_retention(NOW)] == ["patient-a"]


def test_the_matters_own_retention_overrides_its_practice_area(db):
    area = PracticeArea.objects.create(slug="banking", name="Banking", default_retention_years=1)
    closed_matter("account-a", closed=NOW - timedelta(days=800), years=5, area=area)

    assert retention.matters_past_retention(NOW) == []


def test_purge_removes_each_document_with_a_retention_receipt(expired):
    matter, documents = expired
    chunk_ids = list(Chunk.objects.filter(document__matter=matter).values_list("pk", flat=True))

    report = retention.purge(NOW)

    receipts = DeletionReceipt.objects.filter(matter=matter).order_by("document_id")
    assert report.purged == 3 and report.files_removed == 3
    assert [
        (r.document_id, r.filename, r.sha256, r.reason, r.pages_removed, r.chunks_removed)
        for r in receipts
    ] == [(d.pk, d.filename, d.sha256, DeletionReason.RETENTION, 1, 2) for d in documents]
    assert [(r.vectors_removed, r.file_removed, r.deleted_by) for r in receipts] == [
        (2, True, None)
    ] * 3
    assert Document.objects.filter(matter=matter).count() == 0
    assert Page.objects.filter(document_id__in=[d.pk for d in documents]).count() == 0
    assert Chunk.objects.filter(pk__in=chunk_ids).count() == 0
    assert set(chunk_ids) & {int(i) for i in indexes._load(matter.pk).ids()} == set()
    assert [storage.blob_path(d.sha256).exists() for d in documents] == [False] * 3


def test_purge_keeps_the_empty_closed_matter(expired):
    matter, _ = expired

    retention.purge(NOW)

    kept = Matter.objects.get(pk=matter.pk)
    assert (kept.slug, kept.status, kept.closed_at) == (
        "old-lease",
        MatterStatus.CLOSED,
        matter.closed_at,
    )


def test_purge_records_one_purge_event_for_the_matter(expired):
    matter, _ = expired

    report = retention.purge(NOW)

    event = AuditEvent.objects.get(action=Action.PURGE)
    receipts = list(DeletionReceipt.objects.filter(matter=matter).order_by("pk"))
    assert (event.matter_slug, event.target_type, event.target_id) == (
        "old-lease",
        "matter",
        str(matter.pk),
    )
    assert event.details == {
        "reason": "retention",
        "closed_at": "2024-06-14T12:00:00+00:00",
        "retention_years": 7,
        "retention_ended": "2031-06-14T12:00:00+00:00",
        "documents_purged": 3,
        "documents_held": 0,
        "pages_removed": 3,
        "chunks_removed": 6,
        "vectors_removed": 6,
        "first_receipt": receipts[0].pk,
        "last_receipt": receipts[-1].pk,
    }
    assert report.matters[0].receipts == tuple(r.pk for r in receipts)


def test_a_second_purge_removes_nothing_and_records_nothing(expired):
    retention.purge(NOW)

    second = retention.purge(NOW)

    assert (second.purged, second.matters) == (0, ())
    assert AuditEvent.objects.filter(action=Action.PURGE).count() == 1
    assert DeletionReceipt.objects.count() == 3


def test_a_matter_under_legal_hold_is_not_purged_and_the_report_says_why(expired):
    matter, documents = expired
    placer = rows.make_user("records-officer")
    holds.place_hold(placer, matter=matter, reason="Subpoena 22-114")

    report = retention.purge(NOW)

    (line,) = report.matters
    assert (line.purged, line.held_documents) == (0, 3)
    assert line.matter_hold.startswith(
        "Matter old-lease is under a legal hold placed by records-officer on "
    )
    assert "(Subpoena 22-114)" in line.matter_hold
    assert Document.objects.filter(matter=matter).count() == 3
    assert DeletionReceipt.objects.count() == 0
    assert all(storage.blob_path(d.sha256).exists() for d in documents)
    assert retention.documents_past_retention(NOW).count() == 0


def test_a_held_document_stays_while_the_rest_of_its_matter_is_purged(expired):
    matter, documents = expired
    holds.place_hold(None, document=documents[1], reason="Disputed signature")

    report = retention.purge(NOW)

    assert [(m.purged, m.held_documents) for m in report.matters] == [(2, 1)]
    assert list(Document.objects.filter(matter=matter).values_list("pk", flat=True)) == [
        documents[1].pk
    ]
    assert storage.blob_path(documents[1].sha256).exists()
    assert AuditEvent.objects.get(action=Action.PURGE).details["documents_held"] == 1


def test_once_its_hold_is_released_the_next_purge_removes_it(expired):
    matter, _ = expired
    hold = holds.place_hold(None, matter=matter, reason="Audit")
    retention.purge(NOW)

    holds.release_hold(None, hold, "Audit closed")
    report = retention.purge(NOW)

    assert report.purged == 3
    assert Document.objects.filter(matter=matter).count() == 0


def test_a_matter_reopened_is_no_longer_purged(expired):
    matter, _ = expired

    matters.reopen_matter(None, matter, "New claim")

    assert retention.purge(NOW).purged == 0
    assert Document.objects.filter(matter=matter).count() == 3


def test_an_original_shared_with_a_kept_matter_stays(expired):
    matter, documents = expired
    other = rows.make_matter("open-matter")
    shared = content_for(matter, 0)
    rows.make_document(other, "copy.pdf", content=shared)

    retention.purge(NOW)

    receipt = DeletionReceipt.objects.get(document_id=documents[0].pk)
    assert receipt.file_removed is False
    assert storage.blob_path(write_blob(shared)).exists()


def test_the_forecast_lists_what_falls_due_within_the_days_soonest_first(db):
    due_soon = closed_matter("due-soon", closed=datetime(2026, 6, 25, tzinfo=UTC), years=5)
    due_later = closed_matter("due-later", closed=datetime(2026, 7, 10, tzinfo=UTC), years=5)
    closed_matter("due-next-year", closed=datetime(2027, 7, 1, tzinfo=UTC), years=5)
    make_stored_documents(due_soon, 2)
    make_stored_documents(due_later, 4, first=10)
    held = make_stored_documents(due_later, 1, first=20)[0]
    holds.place_hold(None, document=held, reason="Appeal")

    lines = [line.as_dict() for line in retention.forecast(30, now=NOW)]

    assert lines == [
        {
            "matter_id": due_soon.pk,
            "slug": "due-soon",
            "name": "due-soon",
            "practice_area": None,
            "closed_at": "2026-06-25T00:00:00+00:00",
            "retention_years": 5,
            "purge_on": "2031-06-25T00:00:00+00:00",
            "overdue": False,
            "documents": 2,
            "held_documents": 0,
            "matter_hold": "",
        },
        {
            "matter_id": due_later.pk,
            "slug": "due-later",
            "name": "due-later",
            "practice_area": None,
            "closed_at": "2026-07-10T00:00:00+00:00",
            "retention_years": 5,
            "purge_on": "2031-07-10T00:00:00+00:00",
            "overdue": False,
            "documents": 4,
            "held_documents": 1,
            "matter_hold": "",
        },
    ]


def test_the_forecast_shows_a_held_matter_past_retention_with_nothing_to_purge(expired):
    matter, _ = expired
    holds.place_hold(None, matter=matter, reason="Regulator inquiry")

    (line,) = retention.forecast(30, now=NOW)

    assert (line.slug, line.documents, line.held_documents) == ("old-lease", 0, 3)
    assert "placed by the system" in line.matter_hold and "(Regulator inquiry)" in line.matter_hold


def test_the_forecast_leaves_out_a_matter_already_purged(expired):
    retention.purge(NOW)

    assert retention.forecast(30, now=NOW) == []


def test_the_last_scheduled_run_is_kept_for_the_compliance_pages(expired):
    report = retention.purge(NOW)

    kept = retention.record_run(report, retention.forecast(30, now=NOW), 30)

    assert retention.last_run() == kept
    assert (kept["purged"], kept["forecast_days"], kept["forecast"]) == (3, 30, [])
    assert kept["matters"] == [
        {
            "matter_id": report.matters[0].matter_id,
            "slug": "old-lease",
            "purged": 3,
            "files_removed": 3,
            "held_documents": 0,
            "matter_hold": "",
        }
    ]


@pytest.mark.django_db(transaction=True)
def test_two_purges_at_once_remove_each_document_once():
    matter = closed_matter("twice", closed=datetime(2020, 1, 1, tzinfo=UTC), years=1)
    make_stored_documents(matter, 40)
    start = threading.Barrier(2)
    reports: list[retention.PurgeReport] = []

    def run() -> None:
        try:
            start.wait()
            reports.append(retention.purge(NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(r.purged for r in reports) == [0, 40]
    assert DeletionReceipt.objects.filter(matter=matter).count() == 40
    assert AuditEvent.objects.filter(action=Action.PURGE).count() == 1
    assert Document.objects.filter(matter=matter).count() == 0


def test_a_large_matter_is_purged_in_batches_each_with_its_own_record(expired, monkeypatch):
    matter, _ = expired
    make_stored_documents(matter, 2, first=3)
    monkeypatch.setattr(retention, "PURGE_BATCH", 2)

    report = retention.purge(NOW)

    (line,) = report.matters
    records = AuditEvent.objects.filter(action=Action.PURGE).order_by("seq")
    assert (line.purged, line.files_removed, len(line.receipts)) == (5, 5, 5)
    assert [r.details["documents_purged"] for r in records] == [2, 2, 1]
    assert Document.objects.filter(matter=matter).count() == 0


def test_a_matter_whose_index_lock_cannot_be_had_waits_and_the_others_are_purged(
    expired, monkeypatch
):
    stuck, stuck_documents = expired
    other = closed_matter("old-audit", closed=datetime(2020, 1, 1, tzinfo=UTC), years=7)
    other_documents = make_stored_documents(other, 2, first=10)
    real = retention.remove_documents

    def busy_for_the_first(matter, *args, **kwargs):
        if matter.pk == stuck.pk:
            raise TransientError("the index of matter old-lease is busy; try again")
        return real(matter, *args, **kwargs)

    monkeypatch.setattr(retention, "remove_documents", busy_for_the_first)

    report = retention.purge(NOW)

    assert [(m.slug, m.purged) for m in report.matters] == [("old-audit", 2)]
    assert not Document.objects.filter(pk__in=[d.pk for d in other_documents]).exists()
    assert Document.objects.filter(matter=stuck).count() == len(stuck_documents)
    monkeypatch.undo()
    assert [(m.slug, m.purged) for m in retention.purge(NOW).matters] == [("old-lease", 3)]
