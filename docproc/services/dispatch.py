"""The one point where services hand work to the workers: a Celery task sent by its name, so
services never import the task layer (``workers.tasks`` defines the tasks under these names).
Callers send after their transaction commits, so a worker never looks for a row that is not
there yet.

``pending`` reads the broker back: which documents and jobs a queued or running task still
holds, so the sweeper (``services/sweeper.py``) queues again only work that was lost.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable
from typing import Any

from docproc.celery_app import app

logger = logging.getLogger(__name__)

PROCESS_DOCUMENT = "workers.tasks.parse_document"
CHUNK_DOCUMENT = "workers.tasks.chunk_document"
EMBED_DOCUMENT = "workers.tasks.embed_document"
EMBED_CHUNKS = "workers.tasks.embed_chunks"
INDEX_DOCUMENT = "workers.tasks.index_document"
RUN_JOB = "workers.tasks.run_job"
SWEEP = "workers.tasks.sweep_stuck_work"

# Every task whose first argument is a document id.
DOCUMENT_TASKS = frozenset(
    {PROCESS_DOCUMENT, CHUNK_DOCUMENT, EMBED_DOCUMENT, EMBED_CHUNKS, INDEX_DOCUMENT}
)


def send(task: str, *args: object) -> None:
    """Queue ``task`` with ``args`` on the queue ``docproc.task_queues.ROUTES`` gives it."""
    app.send_task(task, args=list(args))


def pending(tasks: Iterable[str]) -> set[str] | None:
    """The first arguments (as strings) of every message of ``tasks`` still on the broker:
    waiting in a queue, or delivered to a worker and not yet acknowledged (tasks ack late, so a
    running task's message is among these). None when the broker is not Redis and cannot be
    read back.

    It reads kombu's Redis layout: a list per queue (one per priority step) and the ``unacked``
    hash of delivered messages."""
    names = set(tasks)
    held: set[str] = set()
    with app.connection_for_read() as connection:
        # kombu's Redis channel (its client and key names are not in the StdChannel type).
        channel: Any = connection.default_channel
        client = getattr(channel, "client", None)
        if client is None or not hasattr(channel, "_q_for_pri"):
            return None
        queues = [q.name for q in app.conf.task_queues or ()]
        keys = [channel._q_for_pri(q, pri) for q in queues for pri in channel.priority_steps]
        raw: list[bytes] = []
        for key in dict.fromkeys(keys):
            raw.extend(client.lrange(key, 0, -1))
        for entry in client.hvals(channel.unacked_key):
            try:
                raw.append(json.dumps(json.loads(entry)[0]).encode())
            except (ValueError, IndexError, TypeError):
                continue
    for message in raw:
        argument = _first_argument(message, names)
        if argument is not None:
            held.add(argument)
    return held


def _first_argument(message: bytes, names: set[str]) -> str | None:
    """The first positional argument of a task message (protocol 2) for one of ``names``."""
    try:
        payload = json.loads(message)
        if payload.get("headers", {}).get("task") not in names:
            return None
        body = payload["body"]
        if payload.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
    except (ValueError, KeyError, IndexError, TypeError):
        logger.warning("unreadable message on the broker; ignored by the sweeper")
        return None
    return str(args[0]) if args else None
