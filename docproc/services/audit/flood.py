"""Records a client could repeat at will, kept to a handful: failures (bad bearer tokens,
failed sign-ins, refused requests) counted per client address in Redis, one audit record per
window, and a status read recorded once per user and document per window.

Failures: each kind is counted per subject (the client address, or a user name) in fixed
windows of ``DOCPROC_AUTH_FAILURE_WINDOW_S``. Only the first failure of a window is recorded;
the others only count, never touching the chain's append lock. That first record carries the
previous window's count (``previous_burst``) when that window had more than one, so every
failure is accounted for once the next burst begins. The same counts drive refusals: failed
tokens beyond ``DOCPROC_TOKEN_FAILURES_PER_ADDRESS`` get 429, sign-ins beyond the per-name or
per-address limits are refused until the window ends.

If Redis cannot be reached, nothing is merged and nothing refused: every failure is recorded,
as before. A rate limit must not take the service, or the log, down with it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.conf import settings

from docproc.services.audit.chain import JsonValue
from docproc.services.audit.context import current_context

logger = logging.getLogger(__name__)

KEY_PREFIX = "docproc:audit-flood:"
TOKEN = "token"
PASSWORD = "password"
PASSWORD_USERNAME = "password-username"
REFUSED = "refused"

# Counters outlive their window so the next burst can report the last one's count.
_KEEP_S = 7 * 24 * 3600

# KEYS[1]: the counter (a hash: window, count). ARGV: the current window, the expiry.
# Returns {count in this window, the previous window, its count} (0, 0 when the same window).
_COUNT = """
local current = redis.call('HMGET', KEYS[1], 'window', 'count')
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
if current[1] and tonumber(current[1]) == tonumber(ARGV[1]) then
    return {redis.call('HINCRBY', KEYS[1], 'count', 1), 0, 0}
end
redis.call('HSET', KEYS[1], 'window', ARGV[1], 'count', 1)
return {1, tonumber(current[1] or 0), tonumber(current[2] or 0)}
"""


@functools.cache
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def _client() -> redis.Redis:
    return _client_for(settings.REDIS_URL)


def _window_s() -> int:
    return max(1, int(settings.AUTH_FAILURE_WINDOW_S))


def _window_now() -> int:
    return int(time.time()) // _window_s()


def _key(kind: str, subject: str) -> str:
    # Subjects are client input (a user name): hashed, so a key is short and plain.
    digest = hashlib.sha256(subject.encode("utf-8", "replace")).hexdigest()[:32]
    return f"{KEY_PREFIX}{kind}:{digest}"


def _address() -> str:
    return current_context().client_address or "unknown"


def _iso(window: int) -> str:
    return datetime.fromtimestamp(window * _window_s(), UTC).isoformat()


@dataclass(frozen=True, slots=True)
class Burst:
    """One failure counted: the failures of its kind from its subject in this window so far
    (1: the first, to be recorded) and, for the first, the previous window's count."""

    failures: int
    previous_window: int = 0
    previous_failures: int = 0

    @property
    def to_record(self) -> bool:
        return self.failures == 1

    def details(self) -> dict[str, JsonValue]:
        """What the first record of a window adds: the previous burst, if it merged several."""
        if not self.to_record or self.previous_failures <= 1:
            return {}
        return {
            "previous_burst": {
                "failures": self.previous_failures,
                "window_start": _iso(self.previous_window),
                "window_s": _window_s(),
            }
        }


def count_failure(kind: str, subject: str | None = None) -> Burst:
    """Count one failure of ``kind`` from ``subject`` (default: the client address)."""
    key = _key(kind, subject if subject is not None else _address())
    try:
        result = _client().eval(_COUNT, 1, key, _window_now(), _KEEP_S)
    except redis.RedisError as exc:
        logger.warning("audit failure counter unavailable, recording every failure: %s", exc)
        return Burst(1)
    count, previous_window, previous_count = (int(value) for value in result)
    return Burst(count, previous_window, previous_count)


def failures_now(kind: str, subject: str | None = None) -> int:
    """Failures of ``kind`` from ``subject`` (default: the client address) in this window
    (0 if Redis cannot be reached)."""
    key = _key(kind, subject if subject is not None else _address())
    try:
        window, count = _client().hmget(key, ["window", "count"])
    except redis.RedisError as exc:
        logger.warning("audit failure counter unavailable, refusing nothing: %s", exc)
        return 0
    if window is None or int(window) != _window_now():
        return 0
    return int(count or 0)


def seconds_left() -> int:
    """Seconds until the current window ends (at least 1)."""
    return max(1, (_window_now() + 1) * _window_s() - int(time.time()))


def token_refusal(burst: Burst) -> int | None:
    """Seconds to refuse failed tokens for, once ``burst`` passed the per-address limit."""
    return seconds_left() if burst.failures > settings.TOKEN_FAILURES_PER_ADDRESS else None


def count_sign_in_failure(username: str) -> Burst:
    """Count a failed sign-in for ``username`` and from the client address; the address's
    burst decides what is recorded."""
    count_failure(PASSWORD_USERNAME, username)
    return count_failure(PASSWORD)


def sign_in_refusal(username: str) -> int | None:
    """Seconds sign-in stays refused for ``username`` from the client address (None: allowed):
    too many failures for that name, or from that address, in this window."""
    by_name = failures_now(PASSWORD_USERNAME, username)
    by_address = failures_now(PASSWORD)
    if (
        by_name >= settings.SIGN_IN_FAILURES_PER_USERNAME
        or by_address >= settings.SIGN_IN_FAILURES_PER_ADDRESS
    ):
        return seconds_left()
    return None


def first_view_in_window(user_id: int, document_id: int) -> bool:
    """True for the first status read of ``document_id`` by ``user_id`` in
    ``DOCPROC_AUDIT_STATUS_VIEW_WINDOW_S`` (then recorded), False for the polls after it
    (True when Redis cannot be reached: recorded)."""
    key = f"{KEY_PREFIX}status-view:{user_id}:{document_id}"
    try:
        first = _client().set(key, 1, nx=True, ex=max(1, settings.AUDIT_STATUS_VIEW_WINDOW_S))
    except redis.RedisError as exc:
        logger.warning("audit view counter unavailable, recording the view: %s", exc)
        return True
    return bool(first)
