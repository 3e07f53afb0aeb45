"""The retention purge: time to purge 10,000 documents past retention, against deleting them one
at a time through the document delete path, measured in the same run.

    DOCPROC_BENCH_DATABASE_URL=postgres://... DOCPROC_BENCH_REDIS_URL=redis://... \\
        .venv/bin/python bench/purge_retention.py [DOCUMENTS] [MATTERS] [SAMPLE]

Makes MATTERS (default 10) closed matters past their retention holding DOCUMENTS (default
10,000) documents between them, each as the pipeline leaves it: its original in the blob store,
a page, two chunks with vectors, the vectors in its matter's FAISS index
(``tests/factories/stored.py``). The baseline: an open matter of the same size, SAMPLE (default
200) of its documents deleted one by one with ``documents.delete_document`` (a receipt, an audit
record, the index loaded and saved, the original removed, each), extrapolated to DOCUMENTS. Then
``retention.purge`` is timed; afterwards every document, chunk, vector and original must be gone
with a retention receipt each, and a second purge must remove nothing.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from harness import prepare_database, unique_slug  # sets the environment before Django loads

from docproc.models import (
    AuditEvent,
    Chunk,
    DeletionReason,
    DeletionReceipt,
    Document,
    Matter,
    MatterStatus,
)
from docproc.models.audit import Action
from docproc.services import documents, indexes, retention, storage
from docproc.services.matter_deletion import delete_matter
from tests.factories.stored import make_stored_documents

CLOSED = datetime(2015, 1, 1, tzinfo=UTC)


def make_matter(slug: str, *, closed: bool) -> Matter:
    matter = Matter.objects.create(slug=slug, name=slug, retention_years=7)
    if closed:
        Matter.objects.filter(pk=matter.pk).update(status=MatterStatus.CLOSED, closed_at=CLOSED)
    return matter


def baseline(per_matter: int, sample: int) -> float:
    """Seconds per document, deleting ``sample`` documents one at a time from a matter of
    ``per_matter`` documents (the index each deletion loads and saves is as large as in the
    purge)."""
    matter = make_matter(unique_slug("one-by-one"), closed=False)
    made = make_stored_documents(matter, per_matter, seed=7)
    started = time.perf_counter()
    for document in made[:sample]:
        documents.delete_document(document)
    seconds = (time.perf_counter() - started) / sample
    delete_matter(None, matter)  # the rest, so the bench database does not grow
    return seconds


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    matter_count = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    sample = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    per_matter = count // matter_count
    prepare_database()
    retention.purge()  # anything a previous run left due, so this run times only its own

    started = time.perf_counter()
    matters = [make_matter(unique_slug(f"expired-{n}"), closed=True) for n in range(matter_count)]
    made: list[Document] = []
    for n, matter in enumerate(matters):
        made += make_stored_documents(matter, per_matter, first=n * per_matter, seed=n)
    chunk_ids = set(Chunk.objects.filter(document__in=made).values_list("pk", flat=True))
    print(
        f"made {len(made)} documents ({len(chunk_ids)} chunks and vectors, {len(made)} "
        f"originals) in {matter_count} closed matters in {time.perf_counter() - started:.1f} s"
    )

    per_document = baseline(per_matter, sample)
    baseline_s = per_document * len(made)
    print(
        f"baseline, one at a time (delete_document): {per_document * 1000:.1f} ms per document "
        f"over {sample}, so {baseline_s:.0f} s for {len(made)}"
    )

    started = time.perf_counter()
    report = retention.purge()
    purge_s = time.perf_counter() - started
    print(
        f"retention purge: {report.purged} documents in {purge_s:.2f} s = "
        f"{report.purged / purge_s:.0f} documents/s ({report.files_removed} originals removed)"
    )
    print(f"ratio baseline / purge: {baseline_s / purge_s:.0f}x")

    ids = [d.pk for d in made]
    receipts = DeletionReceipt.objects.filter(document_id__in=ids, reason=DeletionReason.RETENTION)
    held = set()
    for matter in matters:
        held |= {int(i) for i in indexes._load(matter.pk).ids()}
    problems = {
        "purged": report.purged == len(made),
        "documents gone": not Document.objects.filter(pk__in=ids).exists(),
        "chunks gone": not Chunk.objects.filter(pk__in=chunk_ids).exists(),
        "vectors gone": not held & chunk_ids,
        "originals gone": not any(storage.blob_path(d.sha256).exists() for d in made),
        "a receipt each": receipts.count() == len(made),
        "receipts say the file went": receipts.filter(file_removed=True).count() == len(made),
        # One per matter, or per PURGE_BATCH documents of a larger one.
        "a PURGE record per matter and batch": AuditEvent.objects.filter(
            action=Action.PURGE, matter__in=matters
        ).count()
        == matter_count * -(-per_matter // retention.PURGE_BATCH),
        "matters kept": Matter.objects.filter(pk__in=[m.pk for m in matters]).count()
        == matter_count,
    }
    second = retention.purge()
    problems["second purge removes nothing"] = second.purged == 0
    print(
        "checks: "
        + ", ".join(f"{name}: {'ok' if ok else 'FAILED'}" for name, ok in problems.items())
    )
    if not all(problems.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
