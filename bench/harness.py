"""What every benchmark needs: an isolated docproc environment (its own Redis database, data
directory and matters) on the configured database, a real worker, and small statistics helpers.

Import this module before anything from Django: it sets the environment the settings read.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

BENCH_DIR = Path(tempfile.mkdtemp(prefix="docproc-bench-"))
# Never a running service's data, whatever the shell exports: the harness empties its Redis
# database and fills its database. DOCPROC_BENCH_REDIS_URL / _DATABASE_URL choose others.
BENCH_REDIS_URL = os.environ.get("DOCPROC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
BENCH_DATABASE_URL = os.environ.get(
    "DOCPROC_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/docproc_bench"
)
os.environ["DOCPROC_REDIS_URL"] = os.environ["DOCPROC_BROKER_URL"] = BENCH_REDIS_URL
os.environ["DOCPROC_DATABASE_URL"] = BENCH_DATABASE_URL
for _name in ("DOCPROC_REDIS_URL_FILE", "DOCPROC_BROKER_URL_FILE", "DOCPROC_DATABASE_URL_FILE"):
    os.environ.pop(_name, None)
os.environ["DOCPROC_BLOB_DIR"] = str(BENCH_DIR / "blobs")
os.environ["DOCPROC_INDEX_DIR"] = str(BENCH_DIR / "index")
os.environ.setdefault("DOCPROC_DATA_DIR", str(BENCH_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docproc.settings")
os.environ.setdefault("DOCPROC_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402


def prepare_database() -> None:
    """The bench database, created if it is PostgreSQL and missing, and migrated."""
    _create_postgres_database(BENCH_DATABASE_URL)
    call_command("migrate", verbosity=0)


def _create_postgres_database(url: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return
    params = {
        "host": config.get("HOST") or "127.0.0.1",
        "port": config.get("PORT") or 5432,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            print(f"created the database {config['NAME']}")


def unique_slug(prefix: str) -> str:
    return f"{prefix}-{int(time.time() * 1000)}"


def start_worker(concurrency: int = 2):
    """A real worker on the bench's Redis database, warmed up (models loaded) before returning."""
    import redis

    from tests.support.worker_process import WorkerProcess
    from workers import app

    redis.Redis.from_url(os.environ["DOCPROC_REDIS_URL"]).flushdb()
    worker = WorkerProcess(dict(os.environ), BENCH_DIR / "worker.log", concurrency=concurrency)
    worker.wait_ready(app)
    return worker


def wait_final(ids, timeout: float = 1800.0) -> dict:
    from docproc.models import Document
    from docproc.models.documents import FINAL_STATUSES

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        docs = {d.pk: d for d in Document.objects.filter(pk__in=list(ids))}
        if all(d.status in FINAL_STATUSES for d in docs.values()):
            return docs
        time.sleep(0.05)
    raise TimeoutError("documents did not finish")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * pct / 100
    low, high = int(rank), min(int(rank) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50) * 1000:.2f} ms, p95 {percentile(values, 95) * 1000:.2f} ms, "
        f"mean {statistics.fmean(values) * 1000:.2f} ms (n={len(values)})"
    )


def free_llm_url() -> str:
    """An OpenAI-compatible base URL on a free loopback port (nothing listens there yet)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def start_llm_server(ctx: int, threads: int, *, model: str | None = None, name: str = "bench"):
    """``manage.py serve_llm`` (SmolLM2 unless ``model``) on a free port, reporting the model as
    ``name``, once it answers; returns (process, base URL). Exits with its log if it fails."""
    import subprocess

    from docproc.pipeline.llm.client import LLMClient

    base_url = free_llm_url()
    env = dict(os.environ, DOCPROC_LLM_BASE_URL=base_url, DOCPROC_LLM_MODEL=name)
    env["DOCPROC_LOG_LEVEL"] = "WARNING"
    command = [sys.executable, "manage.py", "serve_llm", "--ctx", str(ctx)]
    command += ["--threads", str(threads)] + (["--model", model] if model else [])
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    client = LLMClient(base_url, name, timeout_s=5)
    deadline = time.monotonic() + 180
    while not client.health():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.seek(0)
            raise SystemExit(f"serve_llm did not start:\n{log.read().decode()[-3000:]}")
        time.sleep(0.2)
    return process, base_url


def start_token_stub(ctx: int):
    """bench/llm_stub.py (instant answers, llama.cpp's token counts) with a ``ctx``-token
    context on a free port, once it listens; returns (process, base URL)."""
    import subprocess

    base_url = free_llm_url()
    port = base_url.rsplit(":", 1)[1].split("/")[0]
    command = [sys.executable, str(REPO / "bench" / "llm_stub.py"), "--port", port]
    process = subprocess.Popen(command + ["--ctx", str(ctx)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().startswith("ready")
    return process, base_url
