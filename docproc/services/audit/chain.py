"""The hash chain: append an event (``record``) and verify the chain (``verify_chain``).

``record`` is called inside the caller's transaction (an event and what it describes commit or
roll back together). Appends are serialised so the chain never forks: on PostgreSQL by a
transaction-scoped advisory lock, on SQLite by the database's write lock (transactions begin
IMMEDIATE, see settings). Each event's hash covers its content and the previous event's hash
(``models.AuditEvent.compute_hash``), so an altered, replaced or removed record breaks the chain
at that point.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeAlias

from django.db import connection, models, transaction
from django.utils import timezone

from docproc.models import AuditEvent, Document, Matter
from docproc.models.audit import GENESIS_HASH, Action
from docproc.services.audit.context import Actor, RequestContext, current_context, person

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# What ``jsonable`` returns: JSON data as jsonb stores it.
JsonValue: TypeAlias = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]

# What an event is about: a model instance, or a ``(type, id)`` pair for one that is gone.
Target: TypeAlias = models.Model | tuple[str, object] | None

# One key for the whole log: every append takes it until its transaction ends.
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"docproc.audit").digest()[:8], "big", signed=True)


def _text(value: object, limit: int | None = None) -> str:
    """Text both databases store and return unchanged (no NUL, no lone surrogates)."""
    text = str(value).replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    return text[:limit] if limit else text


def jsonable(value: object) -> JsonValue:
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


def _actor_name(user: User | None, context: RequestContext) -> str:
    if user is not None:
        return _text(user.get_username(), 150)
    if context.system_actor:
        return context.system_actor
    return "anonymous" if context.request_id else "system"


def _target(target: Target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, models.Model):
        # A concrete model always has a name; the stubs allow None for an unprepared Options.
        return target._meta.model_name or "", _text(target.pk, 64)
    kind, identifier = target
    return _text(kind, 50), _text(identifier, 64)


def _matter_of(matter: Matter | None, target: Target) -> Matter | None:
    if matter is None and isinstance(target, Document):
        return target.matter
    return matter


def lock() -> None:
    """Hold the append lock until the current transaction ends (PostgreSQL; SQLite's write
    lock does the same there)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def record(
    actor: Actor,
    action: str,
    *,
    matter: Matter | None = None,
    target: Target = None,
    details: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Append one event to the chain and return it.

    ``actor``: the user (None for the system or an anonymous visitor); ``target``: a model
    instance or a ``(type, id)`` pair; ``matter`` defaults to the target document's. Call it
    inside the transaction that does what it records, as late in it as possible: the append
    lock is held until that transaction ends.
    """
    context = current_context()
    user = person(actor)
    matter = _matter_of(matter, target)
    target_type, target_id = _target(target)
    event = AuditEvent(  # ``at`` is set under the append lock, below
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
        lock()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        event.seq, event.prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        event.at = timezone.now()
        event.hash = event.compute_hash()
        event.save(force_insert=True)
    return event


@dataclass(frozen=True, slots=True)
class ChainStatus:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _gap(expected: int, found: int) -> str:
    if found == expected + 1:
        missing = f"record {expected} is"
    else:
        missing = f"records {expected} to {found - 1} are"
    before = f"the chain jumps from record {expected - 1}" if expected > 1 else "the chain starts"
    return f"{missing} missing ({before} to record {found}): removed"


@dataclass(frozen=True, slots=True)
class Head:
    """A point of the chain: record ``seq`` with ``hash`` (seq 0 and the genesis hash: before
    the first record)."""

    seq: int
    hash: str


GENESIS = Head(0, GENESIS_HASH)


def walk(after: Head = GENESIS) -> tuple[ChainStatus, Head]:
    """Walk the chain in order from the record after ``after`` (trusted: e.g. a checkpoint's)
    and name the first broken link: a record whose hash does not match its content (altered),
    one whose prev_hash is not the previous record's hash (altered or replaced), or a gap in
    seq (removed). Returns the status and the last intact record reached."""
    expected, previous, checked = after.seq + 1, after.hash, 0
    head = after
    events = AuditEvent.objects.filter(seq__gt=after.seq).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        checked += 1
        if event.seq != expected:
            return ChainStatus(False, checked, expected, _gap(expected, event.seq)), head
        if event.compute_hash() != event.hash:
            problem = f"record {event.seq} was altered: its hash does not match its content"
            return ChainStatus(False, checked, event.seq, problem), head
        if event.prev_hash != previous:
            problem = (
                f"record {event.seq} does not link to record {event.seq - 1}: its prev_hash is "
                "not that record's hash (one of them was altered or replaced)"
            )
            return ChainStatus(False, checked, event.seq, problem), head
        expected, previous = event.seq + 1, event.hash
        head = Head(event.seq, event.hash)
    return ChainStatus(True, checked), head


def verify_chain() -> ChainStatus:
    """Walk the whole chain (``walk``). Removing the newest records leaves no trace in the
    chain itself: ``services.audit.checks.full_check`` compares its head with the copy anchored
    outside the database (``services.audit.anchor``)."""
    return walk()[0]
