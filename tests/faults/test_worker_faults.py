"""Crashes and restarts lose nothing: a worker killed mid-parse, mid-embedding or mid-index, the
broker restarted with tasks queued, the database dropping the worker's connections. Each time the
document ends ``indexed`` exactly once, with the same pages, passages and vectors as an
undisturbed run of the same file.

Everything runs against a private ``redis-server`` (tests/support/redis_process.py) and a worker
of this module on it, so restarting the broker touches no other test.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection

from docproc.models import Chunk, Document, Page
from docproc.services import dispatch, indexes, ingestion, locks, matters, sweeper
from tests.conftest import wait_until_final, worker_env
from tests.factories.files import make_text_pdf
from tests.faults.conftest import LONG_PDF, point_app_at
from tests.support.paths import ARTIFACTS
from tests.support.redis_process import RedisProcess
from tests.support.worker_process import WorkerProcess

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# The module's worker gives up on a document after this many interrupted attempts.
MAX_ATTEMPTS = 2


@pytest.fixture(scope="module")
def private_redis():
    server = RedisProcess(ARTIFACTS)
    yield server
    server.close()


@pytest.fixture(scope="module")
def on_private_redis(private_redis, isolated_redis):
    """This process's broker, index locks and Celery app on the private Redis."""
    saved = settings.REDIS_URL, settings.CELERY_BROKER_URL
    settings.REDIS_URL = settings.CELERY_BROKER_URL = private_redis.url
    locks._client.cache_clear()
    point_app_at(private_redis.url)
    yield private_redis
    settings.REDIS_URL, settings.CELERY_BROKER_URL = saved
    locks._client.cache_clear()
    point_app_at(saved[1])


class FaultWorker:
    """The module's worker on the private Redis, which a test may stop and start again."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process: WorkerProcess | None = None

    def start(self) -> WorkerProcess:
        from workers import app

        self.process = WorkerProcess(self.env, ARTIFACTS / "fault-worker.log", concurrency=2)
        self.process.wait_ready(app, timeout=180)
        return self.process

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def kill_children(self) -> None:
        """SIGKILL every pool child (the main process starts new ones, and Celery delivers the
        tasks they held again, as after an out-of-memory kill)."""
        assert self.process is not None
        children = self.process.pids()[1:]
        assert children, "the worker has no children to kill"
        for pid in children:
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def fault_worker(django_db_setup, django_db_blocker, isolated_storage, on_private_redis):
    env = worker_env(isolated_storage, redis_url=on_private_redis.url)
    # A lock left by a killed index writer expires soon, so the redelivered task gets it.
    env["DOCPROC_INDEX_LOCK_TIMEOUT"] = "10"
    env["DOCPROC_MAX_ATTEMPTS"] = str(MAX_ATTEMPTS)
    worker = FaultWorker(env)
    worker.start()
    yield worker
    worker.stop()


def submit(slug: str, filename: str, data: bytes) -> Document:
    matter = matters.get_or_create_matter(slug)[0]
    return ingestion.submit(matter, filename, [data]).document


def content(document: Document) -> tuple[list[tuple], list[tuple], int]:
    """What processing derived from the file, without row ids: pages, passages (with their
    offsets) and how many of the document's passages its matter's FAISS index holds."""
    pages = list(
        Page.objects.filter(document=document)
        .order_by("number")
        .values_list("number", "text", "source")
    )
    chunks = Chunk.objects.filter(document=document).order_by("ordinal")
    passages = list(chunks.values_list("ordinal", "page", "char_start", "char_end", "text"))
    ids = set(chunks.values_list("pk", flat=True))
    held = [int(i) for i in indexes._load(document.matter_id).ids() if int(i) in ids]
    assert len(held) == len(set(held)), "a passage has two vectors"
    return pages, passages, len(held)


_undisturbed: dict[bytes, tuple] = {}


def undisturbed(data: bytes) -> tuple:
    """``content`` of ``data`` processed once with no fault (in a matter of its own)."""
    if data not in _undisturbed:
        document = submit("undisturbed", f"file-{len(_undisturbed)}.pdf", data)
        final = wait_until_final([document.pk], timeout=300)[document.pk]
        assert final.status == "indexed", final.reason
        _undisturbed[data] = content(final)
    return _undisturbed[data]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never saw {what} within {timeout}s")
        time.sleep(0.01)


def status_of(document: Document) -> str:
    return Document.objects.values_list("status", flat=True).get(pk=document.pk)


def assert_indexed_once_like_undisturbed(document: Document, data: bytes) -> None:
    final = wait_until_final([document.pk], timeout=300)[document.pk]
    assert (final.status, final.reason) == ("indexed", "")
    pages, passages, vectors = content(final)
    expected_pages, expected_passages, expected_vectors = undisturbed(data)
    assert pages == expected_pages
    assert passages == expected_passages
    assert vectors == expected_vectors == len(passages) == final.chunk_count
    check = indexes.check(final.matter)  # the whole matter: no vector missing, none stray
    assert (check.ok, check.vectors) == (True, check.indexed_chunks)


def test_worker_killed_mid_parse_ends_like_an_undisturbed_run(fault_worker):
    undisturbed(LONG_PDF)
    document = submit("killed-mid-parse", "long.pdf", LONG_PDF)
    wait_for(lambda: status_of(document) == "parsing", "the document parsing")

    fault_worker.kill_children()

    # Pages are written in one transaction at the end of parsing: none yet, so it was mid-way.
    assert Page.objects.filter(document=document).count() == 0
    assert_indexed_once_like_undisturbed(document, LONG_PDF)
    # The redelivered parse counted as an attempt; reaching ``indexed`` cleared it.
    assert Document.objects.get(pk=document.pk).attempts == 0


def test_a_file_that_kills_its_worker_every_time_ends_failed_with_a_reason(fault_worker):
    document = submit("poison", "long.pdf", LONG_PDF)
    wait_for(lambda: status_of(document) == "parsing", "the document parsing")

    # Killed mid-parse on the first delivery and on each redelivery, as a poison file would.
    for attempt in range(MAX_ATTEMPTS + 1):
        if attempt:
            wait_for(
                lambda n=attempt: Document.objects.get(pk=document.pk).attempts == n,
                f"redelivery {attempt}",
            )
            time.sleep(0.2)
        fault_worker.kill_children()

    final = wait_until_final([document.pk], timeout=300)[document.pk]
    assert final.status == "failed"
    assert final.reason == sweeper.GAVE_UP_REASON.format(attempts=MAX_ATTEMPTS + 1)
    assert Chunk.objects.filter(document=document).count() == 0


def test_worker_killed_mid_embedding_ends_like_an_undisturbed_run(fault_worker):
    undisturbed(LONG_PDF)
    document = submit("killed-mid-embed", "long.pdf", LONG_PDF)

    def half_embedded() -> bool:
        chunks = Chunk.objects.filter(document=document)
        embedded = chunks.filter(embedding__isnull=False).count()
        return 0 < embedded < chunks.count()

    wait_for(half_embedded, "the document half embedded")
    fault_worker.kill_children()

    assert_indexed_once_like_undisturbed(document, LONG_PDF)


def test_worker_killed_mid_index_ends_like_an_undisturbed_run(fault_worker):
    undisturbed(LONG_PDF)
    document = submit("killed-mid-index", "long.pdf", LONG_PDF)
    # Hold the matter's index writer lock, so the index task is caught inside its stage.
    with locks.index_writer(document.matter_id):
        wait_for(
            lambda: str(document.pk) in (dispatch.pending([dispatch.INDEX_DOCUMENT]) or set()),
            "the index task taken",
        )
        time.sleep(0.5)  # the child has started it and waits on the lock
        assert status_of(document) == "embedding"
        fault_worker.kill_children()

    assert_indexed_once_like_undisturbed(document, LONG_PDF)


def test_database_dropping_the_workers_connections_mid_ingest_loses_nothing(fault_worker):
    undisturbed(LONG_PDF)
    document = submit("db-dropped", "long.pdf", LONG_PDF)
    wait_for(
        lambda: Chunk.objects.filter(document=document, embedding__isnull=False).exists(),
        "embedding under way",
    )

    # Again and again for two seconds, so some query of the worker's is cut off mid-way.
    terminated = 0
    for _ in range(10):
        with connection.cursor() as cursor:
            # Only this test database's backends, and not this test's own connection.
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            terminated += cursor.fetchone()[0]
        time.sleep(0.2)

    assert terminated >= 2
    assert_indexed_once_like_undisturbed(document, LONG_PDF)


SMALL_FILES = [
    make_text_pdf([f"Schedule {n}. The rent for unit {n} is {n * 100} pounds a month."] * 3)
    for n in range(1, 4)
]


def test_documents_queued_when_redis_restarts_empty_are_indexed_once_after_a_sweep(
    fault_worker, private_redis, settings
):
    for data in SMALL_FILES:
        undisturbed(data)
    fault_worker.stop()
    documents = [submit("redis-lost", f"s{n}.pdf", d) for n, d in enumerate(SMALL_FILES)]
    client = private_redis.client()
    wait_for(lambda: client.llen("parse") == len(SMALL_FILES), "the tasks queued")

    private_redis.restart()  # no persistence: every queued task is gone
    point_app_at(private_redis.url)  # this process's pooled connections died with it
    fault_worker.start()
    time.sleep(2)
    assert {status_of(d) for d in documents} == {"received"}  # nothing will move them now

    settings.STUCK_AFTER_S = 0
    first = sweeper.sweep()
    second = sweeper.sweep()  # the tasks just queued hold them: nothing twice

    assert sorted(first.requeued_documents) == sorted(d.pk for d in documents)
    assert second.requeued_documents == []
    for document, data in zip(documents, SMALL_FILES, strict=True):
        assert_indexed_once_like_undisturbed(document, data)
