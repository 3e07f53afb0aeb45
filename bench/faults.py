"""Fault runs: each fault once against a real worker, then whether anything was lost or doubled.

    python bench/faults.py

Scenarios: the worker's children SIGKILLed mid-parse, mid-embedding and mid-index; Redis
restarted empty with tasks queued (then one sweep, services/sweeper.py); the database dropping
the worker's connections mid-ingest; a matter's FAISS file truncated (check_index finds it,
rebuild_index repairs it). Every document is compared with an undisturbed run of the same file:
same pages, same passages and offsets, one vector each. Prints one line per scenario, then
"fault runs survived X/Y, documents lost N, duplicate chunks N".

Runs on a private redis-server (it is restarted) and DOCPROC_BENCH_DATABASE_URL.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.redis_process import RedisProcess  # noqa: E402

PRIVATE_REDIS = RedisProcess(Path("/tmp") / "docproc-bench-faults")
os.environ["DOCPROC_BENCH_REDIS_URL"] = PRIVATE_REDIS.url
os.environ["DOCPROC_INDEX_LOCK_TIMEOUT"] = "10"  # a killed writer's lock expires soon

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from bench import harness  # noqa: E402
from docproc.models import Chunk, Document, Page  # noqa: E402
from docproc.services import dispatch, indexes, ingestion, locks, matters, sweeper  # noqa: E402
from tests.factories.files import make_text_pdf  # noqa: E402

LONG_PDF = make_text_pdf(
    [
        f"{n}. CLAUSE {n}\n\nThe supplier shall deliver item {n} by day {n * 3} of the term, "
        f"and the customer shall pay invoice {n} within {n + 10} days of receipt."
        for n in range(1, 361)
    ]
)
SMALL_PDFS = [
    make_text_pdf([f"Schedule {n}. The rent for unit {n} is {n * 100} pounds a month."] * 3)
    for n in range(1, 4)
]


class Bench:
    def __init__(self) -> None:
        self.worker = harness.start_worker()
        self.baseline: dict[bytes, tuple] = {}
        self.runs: list[tuple[str, bool, int, int, str]] = []

    # --- what a run produced ---------------------------------------------------------------
    def content(self, document: Document) -> tuple[list[tuple], list[tuple], list[int]]:
        pages = list(
            Page.objects.filter(document=document)
            .order_by("number")
            .values_list("number", "text", "source")
        )
        chunks = Chunk.objects.filter(document=document).order_by("ordinal")
        passages = list(chunks.values_list("ordinal", "page", "char_start", "char_end", "text"))
        ids = set(chunks.values_list("pk", flat=True))
        held = [int(i) for i in indexes._load(document.matter_id).ids() if int(i) in ids]
        return pages, passages, held

    def submit(self, slug: str, name: str, data: bytes) -> Document:
        matter = matters.get_or_create_matter(harness.unique_slug(slug))[0]
        return ingestion.submit(matter, name, [data]).document

    def undisturbed(self, data: bytes) -> tuple:
        if data not in self.baseline:
            document = self.submit("undisturbed", "file.pdf", data)
            final = harness.wait_final([document.pk], timeout=600)[document.pk]
            assert final.status == "indexed", final.reason
            self.baseline[data] = self.content(final)
        return self.baseline[data]

    def judge(
        self,
        name: str,
        documents: list[tuple[Document, bytes]],
        started: float,
        extra_ok: bool = True,
    ) -> None:
        try:
            finals = harness.wait_final([d.pk for d, _ in documents], timeout=600)
        except TimeoutError:
            finals = {d.pk: Document.objects.get(pk=d.pk) for d, _ in documents}
        lost = duplicates = 0
        same = True
        for document, data in documents:
            final = finals[document.pk]
            if final.status != "indexed":
                lost += 1
                continue
            pages, passages, held = self.content(final)
            expected_pages, expected_passages, expected_held = self.undisturbed(data)
            duplicates += max(0, len(passages) - len(expected_passages))
            duplicates += len(held) - len(set(held))
            same &= pages == expected_pages and passages == expected_passages
            same &= len(set(held)) == len(expected_held)
        ok = lost == 0 and duplicates == 0 and same and extra_ok
        seconds = time.monotonic() - started
        self.runs.append((name, ok, lost, duplicates, f"{seconds:.1f} s"))
        print(
            f"{name:<34} {'survived' if ok else 'FAILED':<9} lost {lost}, duplicate chunks "
            f"{duplicates}, identical to undisturbed {same}, {seconds:.1f} s",
            flush=True,
        )

    # --- helpers ---------------------------------------------------------------------------
    def kill_children(self) -> None:
        for pid in self.worker.pids()[1:]:
            os.kill(pid, signal.SIGKILL)

    @staticmethod
    def wait_for(condition: Callable[[], bool], timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the awaited state never came")
            time.sleep(0.01)

    # --- scenarios -------------------------------------------------------------------------
    def kill_mid_parse(self) -> None:
        self.undisturbed(LONG_PDF)
        started = time.monotonic()
        document = self.submit("mid-parse", "long.pdf", LONG_PDF)
        self.wait_for(lambda: Document.objects.get(pk=document.pk).status == "parsing")
        self.kill_children()
        self.judge("worker killed mid-parse", [(document, LONG_PDF)], started)

    def kill_mid_embed(self) -> None:
        self.undisturbed(LONG_PDF)
        started = time.monotonic()
        document = self.submit("mid-embed", "long.pdf", LONG_PDF)

        def half() -> bool:
            chunks = Chunk.objects.filter(document=document)
            return 0 < chunks.filter(embedding__isnull=False).count() < chunks.count()

        self.wait_for(half)
        self.kill_children()
        self.judge("worker killed mid-embedding", [(document, LONG_PDF)], started)

    def kill_mid_index(self) -> None:
        self.undisturbed(LONG_PDF)
        started = time.monotonic()
        document = self.submit("mid-index", "long.pdf", LONG_PDF)
        with locks.index_writer(document.matter_id):
            self.wait_for(
                lambda: str(document.pk) in (dispatch.pending([dispatch.INDEX_DOCUMENT]) or set())
            )
            time.sleep(0.5)
            self.kill_children()
        self.judge("worker killed mid-index", [(document, LONG_PDF)], started)

    def redis_restarted(self) -> None:
        from kombu import pools

        from workers import app

        for data in SMALL_PDFS:
            self.undisturbed(data)
        started = time.monotonic()
        self.worker.stop()
        documents = [self.submit("redis-lost", f"s{n}.pdf", d) for n, d in enumerate(SMALL_PDFS)]
        client = PRIVATE_REDIS.client()
        self.wait_for(lambda: client.llen("parse") == len(SMALL_PDFS))
        PRIVATE_REDIS.restart()
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None
        locks._client.cache_clear()
        self.worker = harness.start_worker()
        saved, settings.STUCK_AFTER_S = settings.STUCK_AFTER_S, 0
        try:
            sweeper.sweep()
            sweeper.sweep()
        finally:
            settings.STUCK_AFTER_S = saved
        pairs = list(zip(documents, SMALL_PDFS, strict=True))
        self.judge("redis restarted empty, tasks queued", pairs, started)

    def database_connections_dropped(self) -> None:
        self.undisturbed(LONG_PDF)
        started = time.monotonic()
        document = self.submit("db-dropped", "long.pdf", LONG_PDF)
        self.wait_for(
            lambda: Chunk.objects.filter(document=document, embedding__isnull=False).exists()
        )
        terminated = 0
        for _ in range(10):  # again and again, so some query is cut off mid-way
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                terminated += cursor.fetchone()[0]
            time.sleep(0.2)
        print(f"  (terminated {terminated} connections of the worker)")
        self.judge("database connections dropped", [(document, LONG_PDF)], started)

    def index_truncated(self) -> None:
        from django.core.management import call_command

        started = time.monotonic()
        document = self.submit("truncated", "long.pdf", LONG_PDF)
        harness.wait_final([document.pk], timeout=600)
        path = indexes.index_dir(document.matter_id) / "index.faiss"
        path.write_bytes(path.read_bytes()[:1000])
        detected = not indexes.check(document.matter).ok
        call_command(
            "rebuild_index", "--matter", document.matter.slug, stdout=open(os.devnull, "w")
        )
        repaired = indexes.check(document.matter).ok
        self.judge(
            "index file truncated, rebuilt",
            [(document, LONG_PDF)],
            started,
            extra_ok=detected and repaired,
        )


def main() -> None:
    harness.prepare_database()
    bench = Bench()
    try:
        for scenario in (
            bench.kill_mid_parse,
            bench.kill_mid_embed,
            bench.kill_mid_index,
            bench.redis_restarted,
            bench.database_connections_dropped,
            bench.index_truncated,
        ):
            try:
                scenario()
            except Exception as exc:  # a scenario that breaks counts as not survived
                bench.runs.append((scenario.__name__, False, 0, 0, repr(exc)))
                print(f"{scenario.__name__}: FAILED {exc!r}", flush=True)
    finally:
        bench.worker.stop()
        PRIVATE_REDIS.close()
    survived = sum(1 for run in bench.runs if run[1])
    lost = sum(run[2] for run in bench.runs)
    duplicates = sum(run[3] for run in bench.runs)
    print(
        f"fault runs survived {survived}/{len(bench.runs)}, documents lost {lost}, "
        f"duplicate chunks {duplicates}"
    )


if __name__ == "__main__":
    main()
