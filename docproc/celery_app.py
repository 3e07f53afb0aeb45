"""The Celery app, configured in this one place: Redis broker, queues and routes by task name,
late acks, a visibility timeout longer than any task. Services send tasks through it by name
(``services.dispatch``); the worker processes (``workers``) run them; beat sends the periodic
sweep (``services/sweeper.py``).
"""

from __future__ import annotations

from celery import Celery
from django.conf import settings
from kombu import Queue

from docproc import task_queues as queues

app = Celery("docproc")
app.conf.update(
    broker_url=settings.CELERY_BROKER_URL,
    broker_connection_retry_on_startup=True,
    broker_transport_options={"visibility_timeout": settings.VISIBILITY_TIMEOUT},
    task_queues=[Queue(name) for name in queues.ALL],
    task_default_queue=queues.PARSE,
    task_routes=queues.ROUTES,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_ignore_result=True,
    task_time_limit=settings.TASK_TIME_LIMIT,
    task_soft_time_limit=max(settings.TASK_TIME_LIMIT - 30, 30),
    task_serializer="json",
    accept_content=["json"],
    worker_prefetch_multiplier=1,
    # Children load torch, the embedder and spaCy before they report alive; billiard's default
    # of 4 s SIGKILLs them in a loop on a busy machine.
    worker_proc_alive_timeout=settings.WORKER_START_TIMEOUT,
    worker_concurrency=settings.WORKER_CONCURRENCY,
    worker_hijack_root_logger=False,
    timezone=settings.TIME_ZONE,
    # Celery beat (one in the whole deployment) sends these; any worker on the queue runs them.
    beat_schedule={
        "sweep-stuck-work": {
            "task": "workers.tasks.sweep_stuck_work",
            "schedule": settings.SWEEP_EVERY_S,
            # A sweep missed while no worker listened is not worth running late.
            "options": {"expires": settings.SWEEP_EVERY_S},
        },
        # A full check of the audit chain: a checkpoint for the console, the head anchored.
        "verify-audit-chain": {
            "task": "workers.tasks.verify_audit_chain",
            "schedule": float(settings.AUDIT_VERIFY_INTERVAL_S),
            "options": {"expires": float(settings.AUDIT_VERIFY_INTERVAL_S)},
        },
        # The members who have not used a matter for a while, as a CSV report (weekly).
        "report-stale-members": {
            "task": "workers.tasks.report_stale_members",
            "schedule": settings.ACCESS_REPORT_EVERY_S,
            "options": {"expires": settings.ACCESS_REPORT_EVERY_S},
        },
    },
)
if settings.VISIBILITY_TIMEOUT <= settings.TASK_TIME_LIMIT:
    raise RuntimeError(
        "DOCPROC_VISIBILITY_TIMEOUT must exceed DOCPROC_TASK_TIME_LIMIT, or Redis redelivers "
        "tasks that are still running"
    )
