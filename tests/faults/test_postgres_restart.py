"""PostgreSQL restarted under a worker that is embedding a document: the tasks cut off are
retried once the database is back, and the document ends ``indexed`` with the same passages as an
undisturbed run. A private cluster and a private Redis (tests/support), so nothing shared is
restarted; the worker and ``manage.py`` run against them as in production."""

from __future__ import annotations

import subprocess
import sys
import time

import psycopg
import pytest

from tests.conftest import worker_env
from tests.faults.conftest import LONG_PDF, point_app_at
from tests.support.paths import ARTIFACTS, REPO
from tests.support.postgres_process import PostgresProcess, unavailable_reason
from tests.support.redis_process import RedisProcess
from tests.support.worker_process import WorkerProcess

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(bool(unavailable_reason()), reason=unavailable_reason() or "-"),
]


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def query(url: str, sql: str, *params) -> list[tuple]:
    """One query on a new connection (the server may have restarted since the last)."""
    with psycopg.connect(url, connect_timeout=5) as connection:
        return connection.execute(sql, params).fetchall()


def passages(url: str, matter: str) -> list[tuple]:
    return query(
        url,
        "SELECT c.ordinal, c.page, c.char_start, c.char_end, c.text, c.embedding IS NOT NULL "
        "FROM docproc_chunk c JOIN docproc_document d ON d.id = c.document_id "
        "JOIN docproc_matter m ON m.id = d.matter_id WHERE m.slug = %s ORDER BY c.ordinal",
        matter,
    )


def state(url: str, matter: str) -> tuple[str, int]:
    """(status, chunks embedded) of the matter's one document; ("", 0) while unreachable."""
    try:
        rows = query(
            url,
            "SELECT d.status, count(c.id) FILTER (WHERE c.embedding IS NOT NULL) "
            "FROM docproc_document d JOIN docproc_matter m ON m.id = d.matter_id "
            "LEFT JOIN docproc_chunk c ON c.document_id = d.id WHERE m.slug = %s "
            "GROUP BY d.status",
            matter,
        )
    except psycopg.OperationalError:
        return "", 0
    return rows[0] if rows else ("", 0)


@pytest.fixture
def cluster(tmp_path):
    """A private PostgreSQL (migrated) and Redis, a worker on them; yields the worker's env."""
    from docproc.settings import CELERY_BROKER_URL

    postgres, redis_server = PostgresProcess(), RedisProcess(ARTIFACTS)
    worker = None
    try:
        env = worker_env(tmp_path, redis_url=redis_server.url)
        env["DOCPROC_DATABASE_URL"] = postgres.url
        manage("migrate", "--noinput", "-v", "0", env=env)
        point_app_at(redis_server.url)
        worker = WorkerProcess(env, ARTIFACTS / "pg-restart-worker.log", concurrency=2)
        from workers import app

        worker.wait_ready(app, timeout=180)
        yield postgres, env, worker
    finally:
        if worker is not None:
            worker.stop()
        point_app_at(CELERY_BROKER_URL)
        redis_server.close()
        postgres.close()


def test_postgres_restarted_mid_embedding_loses_nothing(cluster, tmp_path):
    postgres, env, worker = cluster
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(LONG_PDF)

    manage("ingest", "--matter", "restarted", str(pdf), env=env)
    deadline = time.monotonic() + 180
    while state(postgres.url, "restarted")[1] == 0:
        assert time.monotonic() < deadline, "embedding never started"
        time.sleep(0.05)
    postgres.restart()  # every connection of the worker is cut mid-way

    deadline = time.monotonic() + 300
    while (status := state(postgres.url, "restarted")[0]) not in ("indexed", "failed"):
        assert time.monotonic() < deadline, f"still {status!r} after the restart"
        time.sleep(0.2)
    manage("ingest", "--matter", "undisturbed", "--wait", str(pdf), env=env)
    checked = subprocess.run(
        [sys.executable, "manage.py", "check_index"], cwd=REPO, env=env, capture_output=True
    )

    assert status == "indexed"
    restarted, undisturbed = (
        passages(postgres.url, "restarted"),
        passages(postgres.url, "undisturbed"),
    )
    assert restarted == undisturbed
    assert len(restarted) > 0 and all(row[-1] for row in restarted)
    assert checked.returncode == 0, checked.stdout
    # The restart did cut a task off mid-way, and it was retried rather than failed.
    log = worker.log_path.read_text(errors="replace")
    assert "retry: Retry in" in log and "OperationalError" in log
