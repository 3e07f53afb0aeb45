"""What the audit console reads: filtered records, who may see them, and exports (which are
themselves recorded before a single row leaves)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from docproc.models import AuditEvent
from docproc.models.audit import Action
from docproc.services.audit.chain import lock, record
from docproc.services.audit.context import Actor


class AuditFilterError(ValueError):
    """Filters that cannot be applied; ``errors`` maps each parameter to its problem."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which records to show: by actor name, matter slug, action, and time (``since``
    inclusive, ``until`` exclusive)."""

    user: str = ""
    matter: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None

    PARAMS = ("user", "matter", "action", "from", "to")

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> AuditFilter:
        """From query parameters ``user``, ``matter``, ``action``, ``from``, ``to`` (ISO 8601
        date or date and time; without an offset, in the server's time zone)."""
        errors: dict[str, str] = {}
        for name in cls.PARAMS:
            if "\x00" in (params.get(name) or ""):
                errors[name] = "contains a NUL character."
        action = (params.get("action") or "").strip()
        if action and action not in Action.values and "action" not in errors:
            errors["action"] = f"{action!r} is not an audited action."
        times: dict[str, datetime | None] = {}
        for name in ("from", "to"):
            raw = (params.get(name) or "").strip()
            times[name] = None
            if raw and name not in errors:
                try:
                    value = datetime.fromisoformat(raw)
                    if timezone.is_naive(value):
                        value = timezone.make_aware(value)
                    # In UTC: the database refuses offsets beyond its range (e.g. -21:06).
                    times[name] = value.astimezone(UTC)
                except (ValueError, OverflowError):
                    errors[name] = f"{raw!r} is not a date or a date and time (ISO 8601)."
        if errors:
            raise AuditFilterError(errors)
        return cls(
            user=(params.get("user") or "").strip(),
            matter=(params.get("matter") or "").strip(),
            action=action,
            since=times["from"],
            until=times["to"],
        )

    def apply(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if self.user:
            events = events.filter(actor_name=self.user)
        if self.matter:
            events = events.filter(matter_slug=self.matter)
        if self.action:
            events = events.filter(action=self.action)
        if self.since is not None:
            events = events.filter(at__gte=self.since)
        if self.until is not None:
            events = events.filter(at__lt=self.until)
        return events

    def as_params(self) -> dict[str, str]:
        """The filters that are set, as query parameters (for links and for the export record)."""
        values = {
            "user": self.user,
            "matter": self.matter,
            "action": self.action,
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in values.items() if v}

    def events(self) -> QuerySet[AuditEvent]:
        return self.apply(AuditEvent.objects.all())


def can_view(user: Actor) -> bool:
    """Administrators: superusers, or users granted ``docproc.view_auditevent``."""
    return bool(
        user is not None and user.is_authenticated and user.has_perm("docproc.view_auditevent")
    )


@dataclass(frozen=True, slots=True)
class Export:
    """A snapshot of the filtered records up to ``through_seq`` (taken before the export's own
    record was added), and how many there are."""

    events: QuerySet[AuditEvent]
    rows: int
    through_seq: int


def export(actor: Actor, filters: AuditFilter, fmt: str) -> Export:
    """Fix the set of records an export holds and record the export itself (with the filters
    and the row count) before a single row leaves."""
    with transaction.atomic():
        lock()
        head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        events = filters.events().filter(seq__lte=head).order_by("seq")
        rows = events.count()
        record(
            actor,
            Action.EXPORT,
            details={
                "format": fmt,
                "filters": filters.as_params(),
                "rows": rows,
                "through_seq": head,
            },
        )
    return Export(events, rows, head)


def export_line(event: AuditEvent) -> dict[str, object]:
    """One record as exported: exactly what its hash covers, plus the hash, so anyone holding
    an unfiltered export can recompute the chain."""
    return {**event.content(), "hash": event.hash}
