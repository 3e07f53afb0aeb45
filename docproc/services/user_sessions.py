"""Users' signed-in sessions: recorded at sign-in, kept up to date as they are used, ended when
unused for ``DOCPROC_SESSION_IDLE_SECONDS``, at sign-out, or by their user from another session.

Ending a session removes it from Django's session store (so it is signed out at once, whichever
process serves it next) and keeps its ``UserSession`` row with when and why. Ending by the user
and ending by idling are recorded in the audit log (``session_end``); a sign-out already is
(``sign_out``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from docproc.models import EndReason, UserSession
from docproc.services import audit

# last_seen_at is written at most this often per session: one UPDATE a minute, not per request.
TOUCH_EVERY = timedelta(seconds=60)
MAX_USER_AGENT = 300


def _idle_limit() -> timedelta:
    return timedelta(seconds=settings.SESSION_IDLE_SECONDS)


def _remove_from_store(session_key: str) -> None:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    store(session_key=session_key).delete()


def _in_store(session_key: str) -> bool:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return bool(store().exists(session_key))


def started(user: User, session_key: str, *, ip_address: str, user_agent: str) -> UserSession:
    """Record a session that has just signed in (or one first seen signed in)."""
    now = timezone.now()
    row, _ = UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "created_at": now,
            "last_seen_at": now,
            "ip_address": ip_address[:64],
            "user_agent": user_agent[:MAX_USER_AGENT],
            "ended_at": None,
            "end_reason": "",
        },
    )
    return row


def seen(
    user: User,
    session_key: str,
    *,
    ip_address: str,
    user_agent: str,
    now: datetime | None = None,
    background: bool = False,
) -> str | None:
    """A request of ``user`` in session ``session_key``: None if the session goes on, else why
    it has ended (an ``EndReason``): the caller signs the request out. A ``background`` request
    (a page polling for progress on its own) is checked but is no activity: a page left open
    on an unattended screen still idles out."""
    now = now or timezone.now()
    row = UserSession.objects.filter(session_key=session_key).first()
    if row is None or row.user_id != user.pk:
        started(user, session_key, ip_address=ip_address, user_agent=user_agent)
        return None
    if row.ended_at is not None:
        return row.end_reason or EndReason.ENDED
    if now - row.last_seen_at > _idle_limit():
        end(row, actor=None, reason=EndReason.IDLE)
        return EndReason.IDLE
    if not background and now - row.last_seen_at >= TOUCH_EVERY:
        UserSession.objects.filter(pk=row.pk).update(last_seen_at=now, ip_address=ip_address[:64])
    return None


def signed_out(session_key: str) -> None:
    """The session's user signed out (Django removes the session itself)."""
    UserSession.objects.filter(session_key=session_key, ended_at=None).update(
        ended_at=timezone.now(), end_reason=EndReason.SIGNED_OUT
    )


def end(row: UserSession, *, actor: User | None, reason: str = EndReason.ENDED) -> bool:
    """End one session: removed from the store, its row marked, the audit log told (``actor``
    None: docproc itself, for idling). False if it had already ended."""
    with transaction.atomic():
        locked = UserSession.objects.select_for_update().get(pk=row.pk)
        if locked.ended_at is not None:
            return False
        locked.ended_at = timezone.now()
        locked.end_reason = reason
        locked.save(update_fields=["ended_at", "end_reason"])
        _remove_from_store(locked.session_key)
        audit.record(
            actor,
            audit.Action.SESSION_END,
            target=("session", locked.pk),
            details={
                "reason": reason,
                "user": locked.user.get_username(),
                "ip_address": locked.ip_address,
                "started": locked.created_at.isoformat(),
            },
        )
    row.ended_at, row.end_reason = locked.ended_at, locked.end_reason
    return True


def end_others(user: User, current_key: str) -> int:
    """End every open session of ``user`` but the one in use; how many were ended."""
    others = UserSession.objects.filter(user=user, ended_at=None).exclude(session_key=current_key)
    return sum(1 for row in others if end(row, actor=user))


def open_sessions(user: User, now: datetime | None = None) -> list[UserSession]:
    """The user's sessions that can still be used, most recently used first. Sessions found to
    be gone (idle past the limit, or expired from the store) are marked ended on the way."""
    now = now or timezone.now()
    found = []
    for row in UserSession.objects.filter(user=user, ended_at=None):
        if now - row.last_seen_at > _idle_limit():
            end(row, actor=None, reason=EndReason.IDLE)
        elif not _in_store(row.session_key):
            UserSession.objects.filter(pk=row.pk).update(ended_at=now, end_reason=EndReason.EXPIRED)
        else:
            found.append(row)
    return found


def of_user(user: User, session_id: int) -> UserSession | None:
    """One of ``user``'s own sessions (never another user's: None)."""
    return UserSession.objects.filter(user=user, pk=session_id).first()
