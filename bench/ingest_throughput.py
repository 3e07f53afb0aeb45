"""Ingestion throughput, end to end (upload → indexed through a real worker), against the pure
embedding time of the same chunks measured in this run, plus the worker's peak memory.

    .venv/bin/python bench/ingest_throughput.py [--pages 100] [--skip-samples] [--filings 6]

Corpora: a generated 100-page text PDF, the PDFs in ../shared/data/pdf-samples, and the first
``--filings`` real SEC filings of ../shared/data/financebench-dev (hundreds of pages with
tables each; 0 skips them).
The embedding-only baseline embeds the very chunks the pipeline produced, in this process, with
the same model, batch size and both cores: the floor for ingestion on this CPU.
"""

from __future__ import annotations

import argparse
import time

from harness import (
    SHARED_DATA,
    prepare_database,
    start_worker,
    unique_slug,
    wait_final,
)

PARAGRAPHS = [
    "The Supplier shall provide the Services described in Schedule {n} with reasonable skill "
    "and care, in accordance with Good Industry Practice and the Service Levels.",
    "Section {n}.2(b): the Customer shall pay each undisputed invoice within thirty (30) days of "
    "receipt, by electronic transfer to the account nominated by the Supplier in writing.",
    "Either party may terminate this Agreement with immediate effect by written notice if the "
    "other party commits a material breach which is irremediable or, if remediable, is not "
    "remedied within twenty (20) Business Days of notice requiring it to be remedied.",
    "Each party shall keep the other's Confidential Information secret, use it only for the "
    "purposes of this Agreement, and disclose it only to its personnel and advisers who need "
    "to know it and are bound by equivalent obligations of confidence.",
    "The liability of either party for all claims arising under clause {n} shall not exceed one "
    "hundred and fifty per cent of the Charges paid in the twelve months preceding the claim.",
]


def make_long_pdf(pages: int) -> bytes:
    from tests.factories.files import make_text_pdf

    texts = []
    for number in range(1, pages + 1):
        body = [p.format(n=number) for p in PARAGRAPHS]
        texts.append(f"{number}. CLAUSE {number}\n\n" + "\n\n".join(body))
    return make_text_pdf(texts)


def ingest(matter, files: list[tuple[str, bytes]]):
    from docproc.services import ingestion

    started = time.perf_counter()
    ids = [ingestion.submit(matter, name, [data]).document.pk for name, data in files]
    docs = wait_final(ids)
    return time.perf_counter() - started, docs


def embed_only_seconds(document_ids) -> tuple[float, int]:
    from django.conf import settings

    from docproc.models import Chunk
    from docproc.pipeline import embed

    texts = list(
        Chunk.objects.filter(document_id__in=list(document_ids))
        .order_by("document_id", "ordinal")
        .values_list("text", flat=True)
    )
    embed.set_threads(2)
    embed.embed_texts(["warm up"] * 8)
    started = time.perf_counter()
    embed.embed_texts(texts, batch_size=settings.EMBEDDING_BATCH_SIZE)
    return time.perf_counter() - started, len(texts)


def report(label: str, seconds: float, docs: dict) -> None:
    from collections import Counter

    indexed = [d for d in docs.values() if d.status == "indexed"]
    pages = sum(d.page_count or 0 for d in indexed)
    chunks = sum(d.chunk_count or 0 for d in indexed)
    embed_seconds, embedded = embed_only_seconds([d.pk for d in indexed])
    states = dict(Counter(d.status for d in docs.values()))
    print(f"\n== {label}")
    print(f"documents: {len(docs)} {states}; indexed pages {pages}, chunks {chunks}")
    print(f"end to end (upload -> indexed): {seconds:.2f} s = {pages / seconds:.1f} pages/s")
    print(
        f"embedding only, same {embedded} chunks, both cores, batch size as the worker: "
        f"{embed_seconds:.2f} s = {pages / embed_seconds:.1f} pages/s"
    )
    print(f"ratio end-to-end / embedding-only: {seconds / embed_seconds:.2f}x (goal <= 1.5x)")
    for d in docs.values():
        if d.status != "indexed":
            print(f"  {d.filename}: {d.status} - {d.reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--skip-samples", action="store_true")
    parser.add_argument("--filings", type=int, default=6, help="financebench filings (0: none)")
    args = parser.parse_args()

    from docproc.services import matters

    prepare_database()
    worker = start_worker()
    try:
        warm = matters.get_or_create_matter(unique_slug("bench-warm"))[0]
        ingest(warm, [("warm.txt", b"Warm up the worker's models before timing anything.")])

        matter = matters.get_or_create_matter(unique_slug("bench-100"))[0]
        seconds, docs = ingest(
            matter, [(f"{args.pages}-page-contract.pdf", make_long_pdf(args.pages))]
        )
        report(f"{args.pages}-page text PDF", seconds, docs)

        samples = SHARED_DATA / "pdf-samples"
        if not args.skip_samples and samples.is_dir():
            files = [(p.name, p.read_bytes()) for p in sorted(samples.rglob("*.pdf"))]
            matter = matters.get_or_create_matter(unique_slug("bench-samples"))[0]
            seconds, docs = ingest(matter, files)
            report(f"pdf-samples ({len(files)} PDFs)", seconds, docs)

        filings = sorted((SHARED_DATA / "financebench-dev" / "pdfs").glob("*.pdf"))
        if args.filings and filings:
            files = [(p.name, p.read_bytes()) for p in filings[: args.filings]]
            matter = matters.get_or_create_matter(unique_slug("bench-filings"))[0]
            seconds, docs = ingest(matter, files)
            report(f"financebench filings ({len(files)} 10-K/10-Q PDFs)", seconds, docs)

        peaks = worker.peak_rss_bytes()
        print("\n== worker peak memory (VmHWM)")
        for pid, peak in peaks.items():
            role = "main" if pid == worker.process.pid else "pool child"
            print(f"  pid {pid} ({role}): {peak / 2**20:.0f} MiB")
        print(f"  total: {sum(peaks.values()) / 2**20:.0f} MiB")
    finally:
        worker.stop()


if __name__ == "__main__":
    main()
