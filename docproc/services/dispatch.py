"""The one point where services hand work to the workers: a Celery task sent by its name, so
services never import the task layer (``workers.tasks`` defines the tasks under these names).
Callers send after their transaction commits, so a worker never looks for a row that is not
there yet."""

from __future__ import annotations

from docproc.celery_app import app

PROCESS_DOCUMENT = "workers.tasks.parse_document"
RUN_JOB = "workers.tasks.run_job"


def send(task: str, *args: object) -> None:
    """Queue ``task`` with ``args`` on the queue ``docproc.task_queues.ROUTES`` gives it."""
    app.send_task(task, args=list(args))
