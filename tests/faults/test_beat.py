"""Celery beat, as compose.yaml and scripts/run.sh start it, sends the sweeper's task on its
schedule (docproc/celery_app.py), to the queue the pipeline worker reads."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.faults.conftest import queued
from tests.support.paths import ARTIFACTS, REPO
from tests.support.redis_process import RedisProcess


def test_beat_sends_the_sweep_to_the_parse_queue_every_period(tmp_path):
    broker = RedisProcess(ARTIFACTS)
    env = {
        **os.environ,
        "DOCPROC_REDIS_URL": broker.url,
        "DOCPROC_BROKER_URL": broker.url,
        "DOCPROC_SWEEP_EVERY_S": "1",
    }
    log = (ARTIFACTS / "beat.log").open("wb")
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers", "beat", "--loglevel=INFO",
         f"--schedule={tmp_path / 'celerybeat-schedule'}"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        client = broker.client()
        deadline = time.monotonic() + 60
        while client.llen("parse") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        sent = queued(client, "parse")
    finally:
        beat.terminate()
        beat.wait(timeout=30)
        log.close()
        broker.close()

    assert len(sent) >= 2, (ARTIFACTS / "beat.log").read_text()[-2000:]
    assert {task for task, _ in sent} == {"workers.tasks.sweep_stuck_work"}
