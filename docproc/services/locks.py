"""Locks held in Redis, so they work across machines: one writer per matter's index, and one
holder at a time of a stored original's fate (kept or removed, ``services/storage.py``), taken
one original at a time (``blob``) or for a whole batch of them at once (``blobs``)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache

import redis
from django.conf import settings

from docproc.pipeline.types import TransientError


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@contextmanager
def index_writer(matter_id: int, wait_seconds: float = 120.0) -> Iterator[None]:
    """Hold the writer lock of one matter's index. The lock expires on its own after
    ``DOCPROC_INDEX_LOCK_TIMEOUT`` so a killed worker cannot hold it forever."""
    lock = _client().lock(
        f"docproc:index-writer:{matter_id}",
        timeout=settings.INDEX_LOCK_TIMEOUT,
        blocking_timeout=wait_seconds,
    )
    try:
        acquired = lock.acquire()
    except redis.RedisError as exc:
        raise TransientError(f"Redis unavailable for the index lock: {exc}") from exc
    if not acquired:
        raise TransientError(f"the index of matter {matter_id} is busy; try again")
    try:
        yield
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:
            pass  # expired while held; the next writer already owns it


def _blob_key(sha256: str) -> str:
    return f"docproc:blob:{sha256}"


@contextmanager
def blob(sha256: str, wait_seconds: float = 30.0) -> Iterator[redis.Redis]:
    """Hold the lock of one stored original (by its digest) and yield the Redis client, for the
    state kept beside it. Held only for a few file-system and database calls; it expires after
    a minute so a killed process cannot hold it forever."""
    client = _client()
    lock = client.lock(_blob_key(sha256), timeout=60, blocking_timeout=wait_seconds)
    try:
        acquired = lock.acquire()
    except redis.RedisError as exc:
        raise TransientError(f"Redis unavailable for the blob lock: {exc}") from exc
    if not acquired:
        raise TransientError(f"the stored original {sha256[:12]} is busy; try again")
    try:
        yield client
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:
            pass  # expired while held


# All or nothing: set every key to the token (with an expiry) only if none is held now, so a
# batch never holds some originals while it waits for the others (no deadlock with ``blob``).
_ACQUIRE_ALL = """
for _, key in ipairs(KEYS) do
  if redis.call('exists', key) == 1 then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('set', key, ARGV[1], 'px', ARGV[2])
end
return 1
"""
# Release only the keys still holding our token (one that expired may belong to another now).
_RELEASE_ALL = """
for _, key in ipairs(KEYS) do
  if redis.call('get', key) == ARGV[1] then redis.call('del', key) end
end
return 1
"""
BLOBS_LOCK_SECONDS = 60


@contextmanager
def blobs(sha256s: Iterable[str], wait_seconds: float = 30.0) -> Iterator[redis.Redis]:
    """Hold the locks of many stored originals at once, in one round trip, and yield the Redis
    client: the same per-original locks ``blob`` takes (so an upload of one of these originals
    waits, as it would for a single removal), for a batch removal. Expires after a minute."""
    keys = sorted({_blob_key(sha) for sha in sha256s})
    client = _client()
    if not keys:
        yield client
        return
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait_seconds
    try:
        while not client.eval(_ACQUIRE_ALL, len(keys), *keys, token, BLOBS_LOCK_SECONDS * 1000):
            if time.monotonic() > deadline:
                raise TransientError(f"{len(keys)} stored originals are busy; try again")
            time.sleep(0.05)
    except redis.RedisError as exc:
        raise TransientError(f"Redis unavailable for the blob locks: {exc}") from exc
    try:
        yield client
    finally:
        try:
            client.eval(_RELEASE_ALL, len(keys), *keys, token)
        except redis.RedisError:
            pass  # they expire on their own
