"""What the retention purge will remove in the next N days: closed matters whose retention runs
out by then (``closed_at`` + the matter's ``retention_years``, else its practice area's
``default_retention_years``), with the documents that would go.

Read-only, for the compliance retention page. Matters under an active legal hold are left out
(the purge skips them); documents under their own hold are counted apart (they stay). Matters
whose retention ran out already but still hold documents are listed too: the next purge takes
them. One query, whatever the number of matters.

(A stand-in for ``retention.forecast(days)``, which the retention purge brings; the two are to
be folded together.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from docproc.models import Document, LegalHold, Matter, MatterStatus


@dataclass(frozen=True, slots=True)
class DueMatter:
    """A closed matter whose retention ends within the forecast's window."""

    matter_id: int
    slug: str
    name: str
    practice_area: str | None
    closed_at: datetime
    retention_years: int
    retention_ends: datetime
    documents: int  # what the purge will remove
    held_documents: int  # under a hold of their own: kept

    @property
    def overdue(self) -> bool:
        return self.retention_ends <= timezone.now()


def _document_count(*, held: bool) -> Subquery:
    """How many of the row matter's documents are (``held``) or are not under a hold of their
    own."""
    held_ids = LegalHold.objects.active().filter(document__isnull=False).values("document_id")
    documents = Document.objects.filter(matter_id=OuterRef("pk"))
    documents = documents.filter(pk__in=held_ids) if held else documents.exclude(pk__in=held_ids)
    counted = documents.order_by().values("matter_id").annotate(n=Count("pk")).values("n")
    return Subquery(counted, output_field=IntegerField())


def forecast(days: int = 30, *, now: datetime | None = None) -> list[DueMatter]:
    """Closed, unheld matters whose retention ends at or before ``now + days``, soonest first."""
    now = now or timezone.now()
    until = now + timedelta(days=days)
    held_matters = LegalHold.objects.active().filter(matter__isnull=False).values("matter_id")
    candidates = (
        Matter.objects.filter(status=MatterStatus.CLOSED, closed_at__isnull=False)
        .filter(
            Q(retention_years__isnull=False)
            | Q(practice_area__default_retention_years__isnull=False)
        )
        .exclude(pk__in=held_matters)
        .select_related("practice_area")
        .annotate(
            documents_due=Coalesce(_document_count(held=False), Value(0)),
            documents_held=Coalesce(_document_count(held=True), Value(0)),
        )
    )
    due = []
    for matter in candidates:
        ends = matter.retention_ends()
        years = matter.effective_retention_years()
        if ends is None or years is None or ends > until or matter.closed_at is None:
            continue
        due.append(
            DueMatter(
                matter_id=matter.pk,
                slug=matter.slug,
                name=matter.name,
                practice_area=matter.practice_area.name if matter.practice_area else None,
                closed_at=matter.closed_at,
                retention_years=years,
                retention_ends=ends,
                documents=matter.documents_due,
                held_documents=matter.documents_held,
            )
        )
    return sorted(due, key=lambda d: (d.retention_ends, d.slug))
