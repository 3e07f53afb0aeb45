"""Retention: a closed matter's documents are kept for its retention period, counted from the day
it closed, then purged with a receipt each, as a deletion leaves.

The period is the matter's own ``retention_years``, else its practice area's
``default_retention_years``; with neither, its documents are kept until someone deletes them.
An open matter is never purged (reopening one stops the clock; closing it again restarts it).
A legal hold on the matter keeps all of it; a hold on a document keeps that document.

``purge`` removes what is due, one matter at a time under the matter's row lock (the lock that
placing a hold, deleting a document and another purge take too), so it is safe to run twice at
once and a second run finds nothing left to purge. The empty, closed matter stays, with its
receipts and one ``PURGE`` audit record per purge (per ``PURGE_BATCH`` documents). ``forecast``
says what falls due in the next days (for the beat task's report and the compliance pages).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from docproc.models import DeletionReason, Document, LegalHold, Matter, MatterStatus
from docproc.pipeline.types import TransientError
from docproc.services import audit, holds
from docproc.services.documents import finish_removal, remove_documents

logger = logging.getLogger(__name__)

# Only what a receipt and the removal need: a purge may load many thousands of documents.
_RECEIPT_FIELDS = ("pk", "matter_id", "filename", "sha256")
# Documents purged per transaction (and per PURGE audit record): a matter larger than this is
# purged in several, so the matter's row lock and the work held in memory stay bounded.
PURGE_BATCH = 5000


@dataclass(frozen=True, slots=True)
class Upcoming:
    """One matter whose retention ends by the forecast's horizon (or has ended)."""

    matter_id: int
    slug: str
    name: str
    practice_area: str | None  # its name, if the matter has one
    closed_at: datetime
    retention_years: int
    purge_on: datetime  # when its retention ends
    overdue: bool  # ended already: the next purge takes it
    documents: int  # what a purge would remove (not held)
    held_documents: int  # what a hold on the document keeps
    matter_hold: str  # a hold on the whole matter, in words ("" when none): nothing goes

    def as_dict(self) -> dict[str, Any]:
        line = asdict(self)
        line["closed_at"] = self.closed_at.isoformat()
        line["purge_on"] = self.purge_on.isoformat()
        return line


@dataclass(frozen=True, slots=True)
class MatterPurge:
    """What one purge removed from one matter, or why it removed nothing."""

    matter_id: int
    slug: str
    purged: int = 0
    files_removed: int = 0
    held_documents: int = 0
    matter_hold: str = ""  # the hold that kept the whole matter, in words
    receipts: tuple[int, ...] = field(default=(), repr=False)

    def as_dict(self) -> dict[str, Any]:
        line = asdict(self)
        line.pop("receipts")
        return line


@dataclass(frozen=True, slots=True)
class PurgeReport:
    at: datetime
    matters: tuple[MatterPurge, ...] = ()

    @property
    def purged(self) -> int:
        return sum(m.purged for m in self.matters)

    @property
    def files_removed(self) -> int:
        return sum(m.files_removed for m in self.matters)

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "purged": self.purged,
            "files_removed": self.files_removed,
            "matters": [m.as_dict() for m in self.matters],
        }


def _closed_with_retention() -> QuerySet[Matter]:
    """Closed matters that have a retention period (their own or their practice area's)."""
    return (
        Matter.objects.filter(status=MatterStatus.CLOSED, closed_at__isnull=False)
        .annotate(years=Coalesce("retention_years", "practice_area__default_retention_years"))
        .filter(years__isnull=False)
        .select_related("practice_area")
        .order_by("pk")
    )


def is_due(matter: Matter, now: datetime) -> bool:
    """Whether the matter's retention has ended by ``now`` (never for an open matter)."""
    ends = matter.retention_ends()
    return matter.status == MatterStatus.CLOSED and ends is not None and ends <= now


def matters_past_retention(now: datetime | None = None) -> list[Matter]:
    """Closed matters whose retention has ended by ``now``, held or not."""
    now = now or timezone.now()
    return [m for m in _closed_with_retention() if is_due(m, now)]


def _held_document_ids() -> QuerySet[LegalHold, dict[str, Any]]:
    return LegalHold.objects.active().filter(document__isnull=False).values("document_id")


def purgeable(matter: Matter) -> QuerySet[Document]:
    """The matter's documents that no hold on a document keeps (the matter's own hold is the
    caller's to check)."""
    return Document.objects.filter(matter=matter).exclude(pk__in=_held_document_ids())


def documents_past_retention(now: datetime | None = None) -> QuerySet[Document]:
    """Every document a purge at ``now`` would remove: in a closed matter past its retention,
    neither the matter nor the document under a legal hold."""
    due = [m.pk for m in matters_past_retention(now)]
    return (
        Document.objects.filter(matter_id__in=due)
        .exclude(matter_id__in=holds.held_matter_ids())
        .exclude(pk__in=_held_document_ids())
    )


def forecast(days: int = 30, now: datetime | None = None) -> list[Upcoming]:
    """Matters whose documents a purge will remove within ``days`` (those already due but kept,
    e.g. by a hold, too), soonest first, with how many documents go and how many holds keep.
    Matters with no documents left are left out."""
    now = now or timezone.now()
    horizon = now + timedelta(days=days)
    due = [m for m in _closed_with_retention() if (m.retention_ends() or horizon) <= horizon]
    if not due:
        return []
    counts = dict(
        Document.objects.filter(matter__in=due)
        .values("matter_id")
        .annotate(n=Count("pk"))
        .values_list("matter_id", "n")
    )
    held = dict(
        Document.objects.filter(matter__in=due, pk__in=_held_document_ids())
        .values("matter_id")
        .annotate(n=Count("pk"))
        .values_list("matter_id", "n")
    )
    matter_holds = {
        hold.matter_id: hold
        for hold in LegalHold.objects.active()
        .filter(matter__in=due)
        .select_related("placed_by", "matter")
    }
    lines = []
    for matter in due:
        total, kept = counts.get(matter.pk, 0), held.get(matter.pk, 0)
        if total == 0:
            continue
        hold = matter_holds.get(matter.pk)
        lines.append(
            Upcoming(
                matter_id=matter.pk,
                slug=matter.slug,
                name=matter.name,
                practice_area=matter.practice_area.name if matter.practice_area else None,
                closed_at=matter.closed_at,  # type: ignore[arg-type]  # closed: set
                retention_years=matter.effective_retention_years(),  # type: ignore[arg-type]
                purge_on=matter.retention_ends(),  # type: ignore[arg-type]
                overdue=matter.retention_ends() <= now,  # type: ignore[operator]
                documents=0 if hold else total - kept,
                held_documents=total if hold else kept,
                matter_hold=str(holds.LegalHoldError(hold)) if hold else "",
            )
        )
    return sorted(lines, key=lambda line: (line.purge_on, line.slug))


def purge(now: datetime | None = None, actor: audit.Actor = None) -> PurgeReport:
    """Remove every document past retention (see ``documents_past_retention``), one matter at a
    time, each with a receipt (reason ``retention``) and one ``PURGE`` audit record per matter
    (per ``PURGE_BATCH`` documents of a larger one). Matters kept whole by a hold are reported,
    not touched."""
    now = now or timezone.now()
    done = []
    for matter in matters_past_retention(now):
        outcome = None
        try:
            while (batch := _purge_matter(matter.pk, now, actor)) is not None:
                outcome = batch if outcome is None else _merged(outcome, batch)
                if batch.purged < PURGE_BATCH:
                    break  # else a large matter: its next batch
        except TransientError as exc:
            # Its index lock is busy or Redis is down: what committed stands, the rest of this
            # matter waits for the next run, and the other matters go on.
            logger.warning("retention purge of matter %s interrupted: %s", matter.slug, exc)
        if outcome is not None:
            done.append(outcome)
    report = PurgeReport(at=now, matters=tuple(done))
    if report.purged or any(m.matter_hold for m in done):
        logger.info("retention purge: %s", report.as_dict())
    return report


def _merged(first: MatterPurge, then: MatterPurge) -> MatterPurge:
    return MatterPurge(
        matter_id=first.matter_id,
        slug=first.slug,
        purged=first.purged + then.purged,
        files_removed=first.files_removed + then.files_removed,
        held_documents=then.held_documents,
        receipts=first.receipts + then.receipts,
    )


def _purge_matter(matter_id: int, now: datetime, actor: audit.Actor) -> MatterPurge | None:
    """Purge one matter under its row lock; None when nothing was there to purge (already
    purged, e.g. by a purge running beside this one, or reopened meanwhile)."""
    with transaction.atomic():
        locked = (
            Matter.objects.select_for_update(of=("self",))
            .select_related("practice_area")
            .filter(pk=matter_id)
            .first()
        )
        if locked is None or not is_due(locked, now):
            return None
        kept = Document.objects.filter(matter=locked, pk__in=_held_document_ids()).count()
        hold = holds.active_hold(matter=locked)
        if hold is not None:
            total = Document.objects.filter(matter=locked).count()
            if not total:
                return None
            words = str(holds.LegalHoldError(hold))
            logger.warning("retention purge skipped matter %s: %s", locked.slug, words)
            return MatterPurge(locked.pk, locked.slug, held_documents=total, matter_hold=words)
        documents = list(purgeable(locked).only(*_RECEIPT_FIELDS).order_by("pk")[:PURGE_BATCH])
        if not documents:
            return None if not kept else MatterPurge(locked.pk, locked.slug, held_documents=kept)
        removal = remove_documents(locked, documents, actor, DeletionReason.RETENTION)
        receipts = removal.receipts
        # Last in the transaction: the audit append lock is held until it commits.
        audit.record(
            actor,
            audit.Action.PURGE,
            matter=locked,
            target=locked,
            details={
                "reason": DeletionReason.RETENTION,
                "closed_at": locked.closed_at,
                "retention_years": locked.effective_retention_years(),
                "retention_ended": locked.retention_ends(),
                "documents_purged": len(receipts),
                "documents_held": kept,
                "pages_removed": sum(r.pages_removed for r in receipts),
                "chunks_removed": sum(r.chunks_removed for r in receipts),
                "vectors_removed": sum(r.vectors_removed for r in receipts),
                "first_receipt": receipts[0].pk,
                "last_receipt": receipts[-1].pk,
            },
        )
    finish_removal(removal)
    return MatterPurge(
        matter_id=locked.pk,
        slug=locked.slug,
        purged=len(removal.receipts),
        files_removed=sum(1 for r in removal.receipts if r.file_removed),
        held_documents=kept,
        receipts=tuple(r.pk for r in removal.receipts),
    )


# Where the last scheduled run's report is kept (Django's cache: Redis), for the pages that show
# when the purge last ran and what it did.
LAST_RUN_KEY = "retention:last-run"


def record_run(report: PurgeReport, upcoming: list[Upcoming], days: int) -> dict[str, Any]:
    """Keep a scheduled run's report and forecast as its last run; returns them as plain data."""
    outcome = {
        **report.as_dict(),
        "forecast_days": days,
        "forecast": [line.as_dict() for line in upcoming],
    }
    cache.set(LAST_RUN_KEY, outcome, timeout=None)
    return outcome


def last_run() -> dict[str, Any] | None:
    """The last scheduled run's report and forecast (``record_run``), or None before any."""
    found: dict[str, Any] | None = cache.get(LAST_RUN_KEY)
    return found
