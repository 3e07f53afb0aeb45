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
os.environ.setdefault("DOCPROC_REDIS_URL", "redis://127.0.0.1:6379/13")
os.environ.setdefault("DOCPROC_BROKER_URL", os.environ["DOCPROC_REDIS_URL"])
os.environ["DOCPROC_BLOB_DIR"] = str(BENCH_DIR / "blobs")
os.environ["DOCPROC_INDEX_DIR"] = str(BENCH_DIR / "index")
os.environ.setdefault("DOCPROC_DATA_DIR", str(BENCH_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docproc.settings")
os.environ.setdefault("DOCPROC_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402


def prepare_database() -> None:
    call_command("migrate", verbosity=0)


def unique_slug(prefix: str) -> str:
    return f"{prefix}-{int(time.time() * 1000)}"


def start_worker(concurrency: int = 2):
    """A real worker on the bench's Redis database, warmed up (models loaded) before returning."""
    import redis

    from workers import app
    from workers.process import WorkerProcess

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
