"""Celery beat, as compose.yaml and scripts/run.sh start it, sends the sweeper's task on its
schedule (docproc/celery_app.py), to the queue the pipeline worker reads."""

from __future__ import annotations

from tests.support.beat_process import sent_by_beat


def test_beat_sends_the_sweep_to_the_parse_queue_every_period(tmp_path):
    sent = sent_by_beat(tmp_path, "DOCPROC_SWEEP_EVERY_S", "parse")

    assert {task for task, _ in sent} == {"workers.tasks.sweep_stuck_work"}
