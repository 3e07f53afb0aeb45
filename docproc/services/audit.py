"""The audit log: record security-relevant events in one hash chain, and verify the chain.

``record`` is called inside the caller's transaction (an event and what it describes commit or
roll back together). Appends are serialised so the chain never forks: on PostgreSQL by a
transaction-scoped advisory lock, on SQLite by the database's write lock (transactions begin
IMMEDIATE, see settings). The client address and request id come from the request context
that ``docproc.web.middleware.RequestContextMiddleware`` binds; management commands run as the
system actor ``system:<command>`` (``as_command``).

The shape of each event's ``details`` is decided here, once, by the ``record_*`` helpers the
front doors and commands call.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar, Token
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from docproc.models import AuditEvent, Document, Matter
from docproc.models.audit import GENESIS_HASH, Action
from docproc.pipeline.llm.client import Usage

__all__ = ["Action", "AuditEvent", "ChainStatus", "record", "verify_chain"]

# One key for the whole log: every append takes it until its transaction ends.
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"docproc.audit").digest()[:8], "big", signed=True)

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


# --- who, from where --------------------------------------------------------------------------


@dataclass(slots=True)
class RequestContext:
    """Where the current work comes from: a request (address, id) or a command (system actor).
    ``denial_recorded`` lets the middleware record a 403 that no view recorded, exactly once."""

    client_address: str = ""
    request_id: str = ""
    system_actor: str = ""
    denial_recorded: bool = False


_context: ContextVar[RequestContext | None] = ContextVar("docproc_audit_context", default=None)


def current_context() -> RequestContext:
    return _context.get() or RequestContext()


def bind(context: RequestContext) -> Token:
    """Make ``context`` the current one (until ``unbind`` with the token returned)."""
    return _context.set(context)


def unbind(token: Token) -> None:
    _context.reset(token)


@contextlib.contextmanager
def bound(context: RequestContext) -> Iterator[RequestContext]:
    """Run a block in ``context``, e.g. a streamed response's body after its view returned."""
    token = bind(context)
    try:
        yield context
    finally:
        unbind(token)


def sane_request_id(value: str | None) -> str | None:
    """``value`` if it is a usable request id (1-64 of ``A-Za-z0-9._:-``), else None."""
    return value if value and REQUEST_ID.match(value) else None


def as_command(handle):
    """Decorate a management command's ``handle``: what it does is recorded as done by
    ``system:<command name>`` (actor None)."""

    @functools.wraps(handle)
    def run(self, *args, **options):
        name = type(self).__module__.rsplit(".", 1)[-1]
        with bound(RequestContext(system_actor=f"system:{name}")):
            return handle(self, *args, **options)

    return run


# --- recording --------------------------------------------------------------------------------


def _text(value, limit: int | None = None) -> str:
    """Text both databases store and return unchanged (no NUL, no lone surrogates)."""
    text = str(value).replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    return text[:limit] if limit else text


def jsonable(value):
    """``value`` as JSON data that PostgreSQL's jsonb returns exactly as given (so the hash
    computed before the insert matches the row read back): string keys, finite floats without
    an exponent form jsonb would rewrite, text for anything else (dates, decimals, ids)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) >= 1e15:
            return int(value)  # jsonb prints 1e+16 as 10000000000000000, read back as an int
        return value + 0.0  # -0.0 becomes 0.0, as in jsonb
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, Mapping):
        return {_text(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=repr)
    if isinstance(value, datetime):
        return value.isoformat()
    return _text(value)


def _actor_name(user, context: RequestContext) -> str:
    if user is not None:
        return _text(user.get_username(), 150)
    if context.system_actor:
        return context.system_actor
    return "anonymous" if context.request_id else "system"


def _target(target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, models.Model):
        return target._meta.model_name, _text(target.pk, 64)
    kind, identifier = target
    return _text(kind, 50), _text(identifier, 64)


def _matter_of(matter, target) -> Matter | None:
    if matter is None and isinstance(target, Document):
        return target.matter
    return matter


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def record(
    actor,
    action: str,
    *,
    matter: Matter | None = None,
    target=None,
    details: Mapping | None = None,
) -> AuditEvent:
    """Append one event to the chain and return it.

    ``actor``: the user (None for the system or an anonymous visitor); ``target``: a model
    instance or a ``(type, id)`` pair; ``matter`` defaults to the target document's. Call it
    inside the transaction that does what it records, as late in it as possible: the append
    lock is held until that transaction ends.
    """
    context = current_context()
    user = actor if actor is not None and actor.is_authenticated else None
    matter = _matter_of(matter, target)
    target_type, target_id = _target(target)
    event = AuditEvent(
        at=None,
        actor=user,
        actor_name=_actor_name(user, context),
        action=str(Action(action)),
        matter=matter,
        matter_slug=_text(matter.slug, 100) if matter is not None else "",
        target_type=target_type,
        target_id=target_id,
        client_address=_text(context.client_address, 64),
        request_id=_text(context.request_id, 64),
        details=jsonable(dict(details or {})),
    )
    with transaction.atomic():
        _lock()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        event.seq, event.prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        event.at = timezone.now()
        event.hash = event.compute_hash()
        event.save(force_insert=True)
    return event


def denied(actor, *, reason: str, status: int, matter=None, target=None, **details) -> AuditEvent:
    """Record an access denial (in its own savepoint: the request that was refused does not
    commit anything else)."""
    current_context().denial_recorded = True
    with transaction.atomic():
        return record(
            actor,
            Action.ACCESS_DENIED,
            matter=matter,
            target=target,
            details={"reason": reason, "status": status, **details},
        )


def hidden_object_denied(actor, model: type[models.Model], object_id) -> AuditEvent | None:
    """A user asked for a matter or document they may not see (no membership, or outside their
    token's matters) and was told it does not exist (404): record that, if the object exists.
    Unknown ids are not denials."""
    found = model.objects.filter(pk=object_id).first()
    if found is None:
        return None
    matter = found if isinstance(found, Matter) else getattr(found, "matter", None)
    return denied(
        actor, reason="outside the user's matters", status=404, matter=matter, target=found
    )


def hidden_documents_denied(actor, document_ids) -> AuditEvent | None:
    """A question narrowed to documents the user may not see: record one denial naming those
    that exist outside the user's matters (None if there are none)."""
    visible = Document.objects.visible_to(actor).values("pk")
    hidden = Document.objects.filter(pk__in=list(document_ids)).exclude(pk__in=visible)
    ids = sorted(hidden.values_list("pk", flat=True))
    if not ids:
        return None
    return denied(actor, reason="documents outside the user's matters", status=404, documents=ids)


def record_membership(actor, membership, *, change: str, previous_role=None, **extra) -> AuditEvent:
    """A membership added, its role changed, or removed (``change``)."""
    return record(
        actor,
        Action.MEMBERSHIP_CHANGE,
        matter=membership.matter,
        target=membership.user,
        details={
            "change": change,
            "user": membership.user.get_username(),
            "role": membership.role,
            "previous_role": previous_role,
            **extra,
        },
    )


def record_search(actor, matter: Matter, query: str, k: int, hits) -> AuditEvent:
    return record(
        actor,
        Action.SEARCH,
        matter=matter,
        details={"query": query, "k": k, "hits": len(hits), "chunk_ids": [h.chunk for h in hits]},
    )


def record_answer(actor, matter: Matter, answer, *, documents=None, streamed=False) -> AuditEvent:
    """The question, the answer as shown, the chunks it was built from and what the model
    spent (``answer`` is a ``services.answers.Answer``)."""
    return record(
        actor,
        Action.ASK,
        matter=matter,
        details={
            "question": answer.question,
            "answer": answer.answer,
            "found": answer.found,
            "method": answer.method,
            "chunk_ids": list(answer.chunks_used),
            "citations": [
                {"document": c["document"], "page": c["page"], "verified": c["verified"]}
                for c in answer.citations
            ],
            "documents": list(documents) if documents else None,
            "streamed": streamed,
            "model": answer.model,
            "routing": answer.routing,
            "warnings": list(answer.warnings),
            **answer.usage.as_dict(),
        },
    )


def record_summary(actor, document: Document, result: Mapping, **extra) -> AuditEvent:
    """A summary shown or made, with what the model spent on it (none for one from the cache);
    ``extra``: e.g. the job that made it."""
    return record(
        actor,
        Action.SUMMARY,
        target=document,
        details={
            "cached": bool(result.get("cached")),
            "method": result.get("method"),
            "coverage": result.get("coverage"),
            "model": result.get("model"),
            "routing": result.get("routing"),
            "warnings": list(result.get("warnings") or []),
            **Usage.from_dict(result.get("usage")).as_dict(),
            **extra,
        },
    )


def record_extraction(actor, document: Document, result: Mapping, **extra) -> AuditEvent:
    """Which fields were extracted and verified; not their values (they stay in the document).
    ``extra``: e.g. the job that ran it."""
    return record(
        actor,
        Action.EXTRACT,
        target=document,
        details={
            "schema": result.get("schema"),
            "fields": {name: field["verified"] for name, field in result["fields"].items()},
            "model": result.get("model"),
            "routing": result.get("routing"),
            "warnings": list(result.get("warnings") or []),
            **Usage.from_dict(result.get("usage")).as_dict(),
            **extra,
        },
    )


# --- verifying --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainStatus:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _gap(expected: int, found: int) -> str:
    if found == expected + 1:
        missing = f"record {expected} is"
    else:
        missing = f"records {expected} to {found - 1} are"
    before = f"the chain jumps from record {expected - 1}" if expected > 1 else "the chain starts"
    return f"{missing} missing ({before} to record {found}): removed"


def verify_chain() -> ChainStatus:
    """Walk the chain in order and name the first broken link: a record whose hash does not
    match its content (altered), one whose prev_hash is not the previous record's hash
    (altered or replaced), or a gap in seq (removed). Removing the newest records leaves no
    trace in the chain itself; compare its head with a copy kept elsewhere for that."""
    expected, previous, checked = 1, GENESIS_HASH, 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        checked += 1
        if event.seq != expected:
            return ChainStatus(False, checked, expected, _gap(expected, event.seq))
        if event.compute_hash() != event.hash:
            problem = f"record {event.seq} was altered: its hash does not match its content"
            return ChainStatus(False, checked, event.seq, problem)
        if event.prev_hash != previous:
            problem = (
                f"record {event.seq} does not link to record {event.seq - 1}: its prev_hash is "
                "not that record's hash (one of them was altered or replaced)"
            )
            return ChainStatus(False, checked, event.seq, problem)
        expected, previous = event.seq + 1, event.hash
    return ChainStatus(True, checked)


# --- reading ----------------------------------------------------------------------------------


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
    def from_params(cls, params: Mapping) -> AuditFilter:
        """From query parameters ``user``, ``matter``, ``action``, ``from``, ``to`` (ISO 8601
        date or date and time; without an offset, in the server's time zone)."""
        errors: dict[str, str] = {}
        for name in cls.PARAMS:
            if "\x00" in (params.get(name) or ""):
                errors[name] = "contains a NUL character."
        action = (params.get("action") or "").strip()
        if action and action not in Action.values and "action" not in errors:
            errors["action"] = f"{action!r} is not an audited action."
        times = {}
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

    def apply(self, events: QuerySet) -> QuerySet:
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

    def events(self) -> QuerySet:
        return self.apply(AuditEvent.objects.all())


def can_view(user) -> bool:
    """Administrators: superusers, or users granted ``docproc.view_auditevent``."""
    return bool(
        user is not None and user.is_authenticated and user.has_perm("docproc.view_auditevent")
    )


@dataclass(frozen=True, slots=True)
class Export:
    """A snapshot of the filtered records up to ``through_seq`` (taken before the export's own
    record was added), and how many there are."""

    events: QuerySet
    rows: int
    through_seq: int


def export(actor, filters: AuditFilter, fmt: str) -> Export:
    """Fix the set of records an export holds and record the export itself (with the filters
    and the row count) before a single row leaves."""
    with transaction.atomic():
        _lock()
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


def export_line(event: AuditEvent) -> dict:
    """One record as exported: exactly what its hash covers, plus the hash, so anyone holding
    an unfiltered export can recompute the chain."""
    return {**event.content(), "hash": event.hash}
