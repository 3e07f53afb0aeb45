"""The worker processes' side of the Celery app (``docproc.celery_app``): Django set up first,
and the embedding model loaded once per worker child (never in the parent: prefork deadlocks)."""

from __future__ import annotations

import logging
import os

import django
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docproc.settings")
django.setup()

from django.conf import settings  # noqa: E402

from docproc.celery_app import app  # noqa: E402

logger = logging.getLogger(__name__)

__all__ = ["app"]


@worker_process_init.connect
def _load_models_in_child(**_kwargs) -> None:
    """Each prefork child shares the cores with its siblings and loads the models itself."""
    from docproc.pipeline import embed
    from docproc.pipeline import vector_index as index
    from docproc.pipeline import wordpieces as tokens
    from docproc.pipeline.ingest.parse import office as parse_office

    children = max(1, int(app.conf.worker_concurrency or 1))
    threads = settings.WORKER_THREADS or max(1, (os.cpu_count() or 1) // children)
    embed.set_threads(threads)
    index.set_threads(threads)
    embed.warm_up()
    tokens.word_piece_counter()
    parse_office.warm_up()
    logger.info("worker child ready: %s thread(s) for torch and faiss", threads)


from workers import tasks  # noqa: E402,F401  (registers the tasks)
