"""Locks held in Redis, so they work across machines: one writer per matter's index, and one
holder at a time of a stored original's fate (kept or removed, ``services/storage.py``)."""

from __future__ import annotations

from collections.abc import Iterator
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


@contextmanager
def blob(sha256: str, wait_seconds: float = 30.0) -> Iterator[redis.Redis]:
    """Hold the lock of one stored original (by its digest) and yield the Redis client, for the
    state kept beside it. Held only for a few file-system and database calls; it expires after
    a minute so a killed process cannot hold it forever."""
    client = _client()
    lock = client.lock(f"docproc:blob:{sha256}", timeout=60, blocking_timeout=wait_seconds)
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
