"""Load: 50 uploads and 20 questions sent at once to a real gunicorn and Celery worker.

    .venv/bin/python bench/load.py

The service runs as scripts/run.sh starts it (gunicorn with gunicorn.conf.py, one pipeline
worker), on DOCPROC_BENCH_DATABASE_URL and DOCPROC_BENCH_REDIS_URL, with a fresh data directory.
Questions go to bench/llm_stub.py, which answers instantly in llama.cpp's dialect, so they cost
everything but generation. One matter holds one indexed document first, for the questions to
find. Then 70 threads, one request each, all released together: 50 upload distinct PDFs through
``POST matters/{id}/documents/``, 20 ask ``POST matters/{id}/ask/``.

Prints uploads/s and questions/s (each counted from the common start to its last answer), the
errors (any non-2xx or exception), whether every uploaded document was indexed exactly once
(one row per file, every chunk with one vector in the matter's index, ``check_index`` clean) and
the time until it was, and the peak resident memory (VmHWM) of the web server's processes and
the worker's, summed. Exits 1 on any error or a document not indexed exactly once.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from api_latency import (  # noqa: E402
    GUNICORN_OPTIONS,
    Background,
    start_stub_llm,
    start_web,
    start_worker,
)
from harness import prepare_database, unique_slug, wait_final  # noqa: E402

UPLOADS = 50
QUESTIONS = 20
QUESTION = "When must the customer pay invoice {n}?"


def contract(n: int) -> bytes:
    from tests.factories.files import make_text_pdf

    return make_text_pdf(
        [
            f"AGREEMENT {n}\n\nThe supplier shall deliver order {n} within {n + 5} days.",
            f"PAYMENT\n\nThe customer shall pay invoice {n} within {n + 30} days of receipt.",
        ]
    )


def peak_rss(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) * 1024
    return total


def process_tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        kids = [int(p) for p in children.read_text().split()]
    except OSError:
        kids = []
    return [pid, *(p for kid in kids for p in process_tree(kid))]


def main() -> int:
    from docproc.models import Chunk, Document
    from docproc.services import indexes, ingestion, matters, tokens

    prepare_database()
    started: list = []
    try:
        start_worker(started)
        worker = started[-1]
        _, llm_url = start_stub_llm(4096, started)
        web, base_url = start_web("web", llm_url, GUNICORN_OPTIONS, started)
        assert isinstance(web, Background)

        matter = matters.get_or_create_matter(unique_slug("bench-load"))[0]
        seed = ingestion.submit(matter, "seed.pdf", [contract(0)]).document
        assert wait_final([seed.pk])[seed.pk].status == "indexed"
        membership, _ = matters.add_member(matter, f"{matter.slug}-client", "editor")
        token = tokens.create_token(membership.user, "read,write,ask", [matter]).plaintext
        files = [contract(n) for n in range(1, UPLOADS + 1)]
        headers = {"Authorization": f"Bearer {token}"}

        gate = threading.Barrier(UPLOADS + QUESTIONS + 1)
        errors: list[str] = []
        finished: dict[str, list[float]] = {"upload": [], "ask": []}
        lock = threading.Lock()

        def send(kind: str, n: int) -> None:
            with httpx.Client(
                base_url=base_url, headers=headers, timeout=300, trust_env=False
            ) as c:
                gate.wait()
                try:
                    if kind == "upload":
                        response = c.post(
                            f"/api/v1/matters/{matter.pk}/documents/",
                            files={"file": (f"contract-{n}.pdf", files[n - 1], "application/pdf")},
                        )
                    else:
                        response = c.post(
                            f"/api/v1/matters/{matter.pk}/ask/",
                            json={"question": QUESTION.format(n=n)},
                        )
                    ok = response.is_success
                    detail = f"{kind} {n}: {response.status_code} {response.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, f"{kind} {n}: {exc!r}"
                with lock:
                    finished[kind].append(time.monotonic())
                    if not ok:
                        errors.append(detail)

        threads = [threading.Thread(target=send, args=("upload", n)) for n in range(1, UPLOADS + 1)]
        threads += [threading.Thread(target=send, args=("ask", n)) for n in range(1, QUESTIONS + 1)]
        for thread in threads:
            thread.start()
        gate.wait()
        start = time.monotonic()
        for thread in threads:
            thread.join()
        upload_s = max(finished["upload"]) - start
        ask_s = max(finished["ask"]) - start

        documents = Document.objects.filter(matter=matter).exclude(pk=seed.pk)
        ids = list(documents.values_list("pk", flat=True))
        finals = wait_final(ids, timeout=1800)
        indexed_s = time.monotonic() - start
        names = sorted(d.filename for d in finals.values())
        not_indexed = [f"{d.filename}: {d.status} {d.reason}" for d in finals.values()
                       if d.status != "indexed"]  # fmt: skip
        check = indexes.check(matter)
        chunks = Chunk.objects.filter(document__matter=matter).count()
        once = (
            names == sorted(f"contract-{n}.pdf" for n in range(1, UPLOADS + 1))
            and not not_indexed
            and check.ok
            and check.vectors == chunks
        )
        web_peak = peak_rss(process_tree(web.process.pid))
        worker_peak = peak_rss(worker.pids())

        print(f"uploads: {UPLOADS} in {upload_s:.2f} s = {UPLOADS / upload_s:.1f} uploads/s")
        print(f"questions: {QUESTIONS} in {ask_s:.2f} s = {QUESTIONS / ask_s:.1f} questions/s")
        print(f"errors: {len(errors)}" + "".join(f"\n  {e}" for e in errors[:10]))
        print(
            f"every document indexed exactly once: {once} ({len(finals)} documents, {chunks} "
            f"chunks, {check.vectors} vectors, all indexed {indexed_s:.1f} s after the start)"
            + (f"; not indexed: {not_indexed}" if not_indexed else "")
        )
        print(
            f"peak memory: web {web_peak / 2**20:.0f} MiB + worker {worker_peak / 2**20:.0f} MiB "
            f"= {(web_peak + worker_peak) / 2**20:.0f} MiB"
        )
        return 0 if once and not errors else 1
    finally:
        for process in reversed(started):
            process.stop()


if __name__ == "__main__":
    sys.exit(main())
