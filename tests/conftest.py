"""Shared fixtures: isolated storage per test session, a real Celery worker process on its own
Redis database, and polling helpers. Front-door and pipeline tests keep their own conftests."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from docproc.pipeline.llm.client import LLMClient
from docproc.pipeline.llm.server import default_model_path
from docproc.services import ingestion, matters
from tests.factories.tiny_gguf import write_tiny_gguf
from tests.support.llm_servers import ServeLLMProcess, pick_free_port
from tests.support.paths import ARTIFACTS
from tests.support.worker_process import WorkerProcess

# Tests use their own Redis database so a running dev service never sees their tasks.
TEST_REDIS_URL = os.environ.get("DOCPROC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def spare_redis_url(offset: int) -> str:
    """The Redis database ``offset`` below the test one (above it, near 0), now empty: a broker
    the session's ``celery_worker`` does not listen on."""
    import redis

    base, _, number = TEST_REDIS_URL.rpartition("/")
    db = int(number) if number.isdigit() else 15
    url = f"{base}/{db - offset if db > offset else db + offset}"
    redis.Redis.from_url(url).flushdb()
    return url


def idle_redis_url() -> str:
    """A Redis database next to the test one that no worker listens on (and now empty)."""
    return spare_redis_url(1)


@pytest.fixture(scope="session", autouse=True)
def isolated_storage():
    """Blobs and indexes of the test session live in a temporary directory."""
    root = Path(tempfile.mkdtemp(prefix="docproc-test-"))
    settings.BLOB_DIR = root / "blobs"
    settings.INDEX_DIR = root / "index"
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def isolated_redis():
    """Point the broker, the index locks, the Celery app and the cache of this process at the
    test Redis."""
    import redis

    from docproc.services import locks

    settings.REDIS_URL = TEST_REDIS_URL
    settings.CELERY_BROKER_URL = TEST_REDIS_URL
    locks._client.cache_clear()
    try:
        redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    except redis.RedisError:
        pass  # tests that need Redis will say so themselves
    from workers import app

    app.conf.broker_url = TEST_REDIS_URL
    # Django's cache (the API's rate-limit counters) follows: override_settings resets caches.
    from django.test import override_settings

    cache_settings = {"default": {**settings.CACHES["default"], "LOCATION": TEST_REDIS_URL}}
    with override_settings(CACHES=cache_settings):
        yield


def database_url() -> str:
    """The URL of the database the tests run against (pytest-django's test database)."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}{port}/{db['NAME']}"


def worker_env(isolated_storage: Path, redis_url: str = TEST_REDIS_URL) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DOCPROC_DATABASE_URL=database_url(),
        DOCPROC_REDIS_URL=redis_url,
        DOCPROC_BROKER_URL=redis_url,
        DOCPROC_BLOB_DIR=str(isolated_storage / "blobs"),
        DOCPROC_INDEX_DIR=str(isolated_storage / "index"),
        DOCPROC_DATA_DIR=str(isolated_storage),
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup, django_db_blocker, isolated_storage, isolated_redis, tiny_answer_server
):
    """One real worker for the session, on the test database and the test Redis. The jobs it
    runs (summaries, extractions) ask the tiny model's real server, with small reserves."""
    ARTIFACTS.mkdir(exist_ok=True)
    from workers import app

    env = worker_env(isolated_storage)
    env.update(
        DOCPROC_LLM_BASE_URL=tiny_answer_server.base_url,
        DOCPROC_LLM_MODEL=tiny_answer_server.model,
        DOCPROC_LLM_CONTEXT_LENGTH="0",
        DOCPROC_LLM_SUMMARY_TOKENS=str(TINY_REPLY_TOKENS),
        DOCPROC_LLM_EXTRACTION_TOKENS=str(TINY_REPLY_TOKENS),
        DOCPROC_LLM_ANSWER_TOKENS=str(TINY_REPLY_TOKENS),
    )
    worker = WorkerProcess(env, ARTIFACTS / "celery-worker.log")
    try:
        worker.wait_ready(app)
        yield worker
    finally:
        worker.stop()


@pytest.fixture(autouse=True)
def models_not_known_down():
    """Each test starts with no LLM endpoint remembered as down (services.routing)."""
    from docproc.services import routing

    routing.forget_unavailable()
    yield
    routing.forget_unavailable()


@pytest.fixture
def fresh_indexes(isolated_storage):
    """Start each end-to-end test with no index files (SQLite may reuse matter ids)."""
    shutil.rmtree(isolated_storage / "index", ignore_errors=True)
    yield


def wait_until_final(document_ids, timeout: float = 120.0):
    """Poll the database until every document is in a final state; returns them by id."""
    from docproc.models import Document
    from docproc.models.documents import FINAL_STATUSES

    deadline = time.monotonic() + timeout
    while True:
        documents = {d.pk: d for d in Document.objects.filter(pk__in=list(document_ids))}
        if all(d.status in FINAL_STATUSES for d in documents.values()):
            return documents
        if time.monotonic() > deadline:
            states = {pk: d.status for pk, d in documents.items()}
            raise AssertionError(f"documents not final after {timeout}s: {states}")
        time.sleep(0.2)


# --- real LLM servers: ``manage.py serve_llm`` as a subprocess, once per session each ---------
# The tiny model (context 512) replies "one two three ... ten" to anything; SmolLM2 (context
# 2048) is the embedded default. Each client fixture yields an LLMClient for its server.

TINY_CONTEXT = 512
TINY_MODEL = "tiny-test-llama"
SMOLLM2_CONTEXT = 2048
SMOLLM2_MODEL = "SmolLM2-135M-Instruct"


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory):
    return write_tiny_gguf(tmp_path_factory.mktemp("llm") / "tiny.gguf")


@contextmanager
def served(model_path, context: int, name: str, model: str):
    """``serve_llm``'s server for ``model_path``, ready; stopped on exit. One thread: the tiny
    model needs no more, and on busy cores llama.cpp's second spinning thread makes decoding
    10-50x slower instead of faster (bench/llm_speed.py)."""
    server = ServeLLMProcess(model_path, context, name, model, threads=1)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tiny_llm_process(tiny_gguf):
    with served(tiny_gguf, TINY_CONTEXT, "tiny", TINY_MODEL) as server:
        yield server


@pytest.fixture(scope="session")
def tiny_llm_server(tiny_llm_process):
    """A client of the tiny model's server, which replies "one two three ... ten" to anything."""
    with LLMClient(tiny_llm_process.base_url, TINY_MODEL, timeout_s=30.0) as client:
        yield client


@pytest.fixture(scope="session")
def smollm2_process():
    with served(default_model_path(), SMOLLM2_CONTEXT, "smollm2", SMOLLM2_MODEL) as server:
        yield server


@pytest.fixture(scope="session")
def smollm2_server(smollm2_process):
    """A client of the bundled SmolLM2-135M-Instruct, served exactly as in production."""
    with LLMClient(smollm2_process.base_url, SMOLLM2_MODEL, timeout_s=60.0) as client:
        yield client


# Small on purpose, so every answer has to be compressed to fit: the tiny model's tokenizer
# spends about a token a character, and the instructions alone take ~630 of these 1,024.
ANSWER_CONTEXT = 1024


# What the service may spend on the model's reply within the tiny model's 1,024 tokens.
TINY_REPLY_TOKENS = 48


@pytest.fixture(scope="session")
def tiny_answer_server(tiny_gguf):
    """A client of the tiny model (replies "one two three ... ten") with a 1,024-token context."""
    with served(tiny_gguf, ANSWER_CONTEXT, "tiny-answers", TINY_MODEL) as server:
        with LLMClient(server.base_url, TINY_MODEL, timeout_s=30.0) as client:
            yield client


@pytest.fixture
def answers_from_tiny_model(settings, tiny_answer_server):
    """The service's LLM is the tiny model's real server, with reserves that fit its context."""
    settings.LLM_BASE_URL = tiny_answer_server.base_url
    settings.LLM_MODEL = tiny_answer_server.model
    settings.LLM_CONTEXT_LENGTH = 0
    settings.LLM_ANSWER_TOKENS = TINY_REPLY_TOKENS
    settings.LLM_SUMMARY_TOKENS = TINY_REPLY_TOKENS
    settings.LLM_EXTRACTION_TOKENS = TINY_REPLY_TOKENS
    return tiny_answer_server


@pytest.fixture
def llm_down(settings):
    """An LLM address nobody listens on: anything that needs the model fails fast."""
    settings.LLM_BASE_URL = f"http://127.0.0.1:{pick_free_port()}/v1"
    settings.LLM_MAX_RETRIES = 0
    settings.LLM_TIMEOUT_S = 2.0


@pytest.fixture
def index_document(monkeypatch, fresh_indexes):
    """Store a document and run every pipeline stage on it here, without a worker."""
    monkeypatch.setattr(ingestion, "enqueue_processing", lambda document_id: None)

    def run(matter_slug: str, filename: str, data: bytes):
        matter = matters.get_or_create_matter(matter_slug)[0]
        document = ingestion.submit(matter, filename, [data]).document
        assert ingestion.parse(document.pk) and ingestion.chunk(document.pk)
        assert ingestion.embed(document.pk) == 0 and ingestion.index(document.pk)
        document.refresh_from_db()
        return matter, document

    return run


# --- two models: the tiny one as "small" (1,024 tokens) and again as "large" (4,096) -----------
# Both reply "one two three ... ten", which never verifies: the small model's answer is always
# escalated, and which server answered shows in the model name.

LARGE_CONTEXT = 4096
TINY_LARGE_MODEL = "tiny-large-llama"


@pytest.fixture(scope="session")
def tiny_large_process(tiny_gguf):
    with served(tiny_gguf, LARGE_CONTEXT, "tiny-large", TINY_LARGE_MODEL) as server:
        yield server


@pytest.fixture
def two_tiny_models(answers_from_tiny_model, tiny_large_process, settings):
    """The tiny model's 1,024-token server as the small model, a 4,096-token one as the large."""
    settings.LLM_LARGE_BASE_URL = tiny_large_process.base_url
    settings.LLM_LARGE_MODEL = TINY_LARGE_MODEL
    settings.LLM_LARGE_CONTEXT_LENGTH = 0
    return answers_from_tiny_model, tiny_large_process


@pytest.fixture
def large_model_down(answers_from_tiny_model, settings):
    """The tiny model as the small model, and a large model configured where nobody listens."""
    settings.LLM_LARGE_BASE_URL = f"http://127.0.0.1:{pick_free_port()}/v1"
    settings.LLM_LARGE_MODEL = "large-but-down"
    settings.LLM_MAX_RETRIES = 0
    return answers_from_tiny_model


# --- the audit log's guards, per test ----------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def flush_past_the_audit_truncate_trigger():
    """Transactional tests end with ``flush`` (TRUNCATE of every table), which the audit log's
    BEFORE TRUNCATE trigger (migration 0007) refuses: the tests' flush runs with triggers off
    for its own transaction (``session_replication_role = replica``, superuser only)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if not statements:
            return statements
        return ["SET LOCAL session_replication_role = replica", *statements]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture(autouse=True)
def fresh_audit_guards(settings, tmp_path):
    """Each test starts with no anchored audit head (its own anchor file) and no failure or
    status-view counts of earlier tests (services.audit.flood)."""
    import redis

    from docproc.services.audit import flood

    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit-anchor.jsonl"
    try:
        client = flood._client()
        for key in client.scan_iter(match=f"{flood.KEY_PREFIX}*"):
            client.delete(key)
    except redis.RedisError:
        pass  # no Redis: nothing was counted either
    yield
