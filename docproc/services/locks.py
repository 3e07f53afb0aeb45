"""A single-writer lock per matter's index, held in Redis so it works across machines."""

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
