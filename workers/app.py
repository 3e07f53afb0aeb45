"""The Celery app: Redis broker, late acks, a visibility timeout longer than any task, and the
embedding model loaded once per worker child (never in the parent: prefork deadlocks)."""

from __future__ import annotations

import logging
import os

import django
from celery import Celery
from celery.signals import worker_process_init
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docproc.settings")
django.setup()

from django.conf import settings  # noqa: E402

from workers import queues  # noqa: E402

logger = logging.getLogger(__name__)

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
)
if settings.VISIBILITY_TIMEOUT <= settings.TASK_TIME_LIMIT:
    raise RuntimeError(
        "DOCPROC_VISIBILITY_TIMEOUT must exceed DOCPROC_TASK_TIME_LIMIT, or Redis redelivers "
        "tasks that are still running"
    )


@worker_process_init.connect
def _load_models_in_child(**_kwargs) -> None:
    """Each prefork child shares the cores with its siblings and loads the models itself."""
    from docproc.pipeline import embed, index, parse_office, tokens

    children = max(1, int(app.conf.worker_concurrency or 1))
    threads = settings.WORKER_THREADS or max(1, (os.cpu_count() or 1) // children)
    embed.set_threads(threads)
    index.set_threads(threads)
    embed.warm_up()
    tokens.word_piece_counter()
    parse_office.warm_up()
    logger.info("worker child ready: %s thread(s) for torch and faiss", threads)


from workers import tasks  # noqa: E402,F401  (registers the tasks and the enqueuer)
