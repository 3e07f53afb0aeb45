"""Celery beat as compose.yaml and scripts/run.sh start it, against a Redis of its own, and the
messages it queues: the tests of each periodic task run it with that task's period at one second
(every other period at an hour) and read what landed on the queue."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.support.paths import ARTIFACTS, REPO
from tests.support.redis_process import RedisProcess

# Every periodic task's period setting (docproc/celery_app.py).
PERIODS = (
    "DOCPROC_SWEEP_EVERY_S",
    "DOCPROC_AUDIT_VERIFY_INTERVAL_S",
    "DOCPROC_RETENTION_EVERY_S",
    "DOCPROC_ACCESS_REPORT_EVERY_S",
)


def queued(client: redis.Redis, queue: str) -> list[tuple[str, list]]:
    """(task name, args) of every message waiting in ``queue``, oldest first."""
    messages = []
    for raw in reversed(client.lrange(queue, 0, -1)):
        payload = json.loads(raw)
        body = json.loads(base64.b64decode(payload["body"]))
        messages.append((payload["headers"]["task"], body[0]))
    return messages


def sent_by_beat(
    tmp_path: Path, period: str, queue: str, *, count: int = 2
) -> list[tuple[str, list]]:
    """Run beat with ``period`` (one of ``PERIODS``) at one second until ``queue`` holds
    ``count`` messages (a minute at most); returns them. Its log: ``test-artifacts/``."""
    broker = RedisProcess(ARTIFACTS)
    env = {
        **os.environ,
        "DOCPROC_REDIS_URL": broker.url,
        "DOCPROC_BROKER_URL": broker.url,
        **dict.fromkeys(PERIODS, "3600"),
        period: "1",
    }
    log_path = ARTIFACTS / f"beat-{period.lower()}.log"
    log = log_path.open("wb")
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers", "beat", "--loglevel=INFO",
         f"--schedule={tmp_path / 'celerybeat-schedule'}"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        client = broker.client()
        deadline = time.monotonic() + 60
        while client.llen(queue) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        sent = queued(client, queue)
    finally:
        beat.terminate()
        beat.wait(timeout=30)
        log.close()
        broker.close()
    assert len(sent) >= count, log_path.read_text()[-2000:]
    return sent
