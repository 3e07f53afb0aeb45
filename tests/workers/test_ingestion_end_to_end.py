"""Documents in, searchable passages out — through a real Celery worker process, Redis, the
real embedding model, FAISS and the test database."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from docproc.models import Chunk, DeletionReceipt, Document, Page
from docproc.services import dense_search, indexes, ingestion, matters, storage
from docproc.services.documents import delete_document
from tests.conftest import idle_redis_url, wait_until_final, worker_env
from tests.factories.files import (
    make_docx,
    make_encrypted_pdf,
    make_scanned_pdf,
    make_text_pdf,
    truncate,
)
from tests.support.paths import REPO

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("celery_worker", "fresh_indexes"),
]

CONTRACT_PAGES = [
    "MASTER SERVICES AGREEMENT\n\nThis agreement is made between Northwind Legal LLP and "
    "Contoso Health Ltd. It sets out the services and fees.",
    "4. TERM AND TERMINATION\n\nThe initial term of this agreement is thirty-six months from "
    "the effective date.\n\nEither party may terminate for material breach on sixty days notice.",
    "7. GOVERNING LAW\n\nThis agreement is governed by the laws of the State of Delaware.",
]


def submit(matter, filename, data):
    return ingestion.submit(matter, filename, [data]).document


def make_matter(slug="acme-v-contoso"):
    return matters.get_or_create_matter(slug)[0]


def test_uploaded_pdf_is_indexed_and_search_returns_the_passage_from_its_page():
    matter = make_matter()
    document = submit(matter, "msa.pdf", make_text_pdf(CONTRACT_PAGES))

    final = wait_until_final([document.pk])[document.pk]

    assert (final.status, final.reason, final.page_count) == ("indexed", "", 3)
    hits = dense_search.search(matter, "How long is the initial term of the agreement?", k=3)
    top = hits[0]
    page_text = Page.objects.get(document=document, number=top.page).text
    assert top.page == 2
    assert top.document == document.pk and top.filename == "msa.pdf"
    assert "thirty-six months" in top.text
    assert page_text[top.char_start : top.char_end] == top.text


def test_uploaded_docx_is_indexed_and_searchable():
    matter = make_matter("patient-0042")
    data = make_docx(
        [
            "The patient was admitted with community-acquired pneumonia.",
            "Discharge medication: Metoprolol succinate 50 mg once daily.",
        ],
        heading="Discharge Summary",
    )
    document = submit(matter, "discharge.docx", data)

    final = wait_until_final([document.pk])[document.pk]

    assert (final.status, final.file_type) == ("indexed", "docx")
    top = dense_search.search(matter, "metoprolol dose at discharge", k=1)[0]
    assert "Metoprolol succinate 50 mg" in top.text
    assert top.page == 1


def test_same_bytes_twice_in_one_matter_is_one_document():
    matter = make_matter()
    data = make_text_pdf(CONTRACT_PAGES)

    first = ingestion.submit(matter, "a.pdf", [data])
    second = ingestion.submit(matter, "copy-of-a.pdf", [data])

    assert first.created is True and second.created is False
    assert second.document.pk == first.document.pk
    assert Document.objects.filter(matter=matter).count() == 1
    wait_until_final([first.document.pk])


def test_encrypted_pdf_needs_a_password_then_is_indexed_once_given_it():
    matter = make_matter()
    document = submit(matter, "sealed.pdf", make_encrypted_pdf(CONTRACT_PAGES, "s3cret"))

    locked = wait_until_final([document.pk])[document.pk]
    assert locked.status == "needs_password"
    assert locked.reason == "This PDF is encrypted. Supply its password to process it."

    ingestion.supply_password(locked, "wrong")
    wrong = wait_until_final([document.pk])[document.pk]
    assert (wrong.status, wrong.reason) == (
        "needs_password",
        "The password supplied for this PDF is wrong.",
    )

    ingestion.supply_password(wrong, "s3cret")
    unlocked = wait_until_final([document.pk])[document.pk]
    assert (unlocked.status, unlocked.page_count, unlocked.pending_password) == ("indexed", 3, "")
    assert storage.blob_path(document.sha256).exists()  # the encrypted original, unchanged


@pytest.mark.parametrize(
    ("filename", "data", "reason_start"),
    [
        ("truncated.pdf", truncate(make_text_pdf(CONTRACT_PAGES), 400), "The PDF is damaged"),
        ("empty.pdf", b"", "The file is empty"),
        ("photo.pdf", bytes(range(256)) * 8, "This file is not a supported type"),
    ],
)
def test_bad_files_fail_with_a_reason_and_the_original_is_kept(filename, data, reason_start):
    matter = make_matter()
    document = submit(matter, filename, data)

    final = wait_until_final([document.pk])[document.pk]

    assert final.status == "failed"
    assert final.reason.startswith(reason_start), final.reason
    assert storage.blob_path(final.sha256).read_bytes() == data
    assert Chunk.objects.filter(document=final).count() == 0


def test_docx_named_pdf_is_processed_as_docx():
    matter = make_matter()
    data = make_docx(["Payment is due within thirty days of invoice."])

    document = submit(matter, "invoice-terms.pdf", data)
    final = wait_until_final([document.pk])[document.pk]

    assert (final.file_type, final.status) == ("docx", "indexed")


def test_scanned_page_is_read_by_ocr():
    matter = make_matter()
    document = submit(matter, "scan.pdf", make_scanned_pdf("Allergies: penicillin causes rash."))

    final = wait_until_final([document.pk], timeout=180)[document.pk]

    page = Page.objects.get(document=final, number=1)
    if page.source == "none":
        pytest.skip("Tesseract is not installed here; the page was marked instead")
    assert final.status == "indexed"
    assert page.source == "ocr"
    assert "penicillin" in page.text.lower()


def _snapshot(document):
    pages = list(Page.objects.filter(document=document).values_list("pk", "number", "text"))
    chunks = list(
        Chunk.objects.filter(document=document).values_list(
            "pk", "ordinal", "page", "char_start", "char_end", "text", "embedding"
        )
    )
    chunks = [row[:-1] + (bytes(row[-1]),) for row in chunks]
    held = sorted(int(i) for i in indexes._load(document.matter_id).ids())
    document.refresh_from_db()
    return pages, chunks, held, document.status


def test_rerunning_every_stage_changes_nothing():
    matter = make_matter()
    document = submit(matter, "msa.pdf", make_text_pdf(CONTRACT_PAGES))
    wait_until_final([document.pk])
    before = _snapshot(document)

    assert ingestion.parse(document.pk) is True
    assert ingestion.chunk(document.pk) is True
    assert ingestion.embed(document.pk) == 0
    assert ingestion.index(document.pk) is True

    assert _snapshot(document) == before
    assert indexes.check(matter).ok is True


def test_deleted_document_can_no_longer_be_found():
    matter = make_matter()
    document = submit(matter, "msa.pdf", make_text_pdf(CONTRACT_PAGES))
    wait_until_final([document.pk])
    chunk_count = Chunk.objects.filter(document=document).count()
    document_id, sha = document.pk, document.sha256

    receipt = delete_document(document)

    hits = dense_search.search(matter, "initial term thirty-six months", k=10)
    assert [h for h in hits if "thirty-six" in h.text] == []
    assert (receipt.chunks_removed, receipt.vectors_removed, receipt.pages_removed) == (
        chunk_count,
        chunk_count,
        3,
    )
    assert receipt.file_removed is True
    assert not storage.blob_path(sha).exists()
    assert DeletionReceipt.objects.filter(document_id=document_id).count() == 1
    assert not Page.objects.filter(document_id=document_id).exists()
    assert indexes.check(matter).as_dict()["vectors"] == 0


def test_check_index_finds_a_lost_index_and_rebuild_repairs_it():
    matter = make_matter()
    document = submit(matter, "msa.pdf", make_text_pdf(CONTRACT_PAGES))
    wait_until_final([document.pk])
    chunk_count = Chunk.objects.filter(document=document).count()
    (indexes.index_dir(matter.pk) / "index.faiss").unlink()

    broken = indexes.check(matter)
    rebuilt = indexes.rebuild(matter)

    assert (broken.ok, len(broken.missing)) == (False, chunk_count)
    assert rebuilt == chunk_count
    assert indexes.check(matter).ok is True


def _manage(*args, env, timeout=300):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_ingest_wait_prints_one_final_json_line_per_document(tmp_path, isolated_storage):
    pdf = tmp_path / "msa.pdf"
    pdf.write_bytes(make_text_pdf(CONTRACT_PAGES))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")

    result = _manage(
        "ingest",
        "--matter",
        "cli-matter",
        "--wait",
        str(pdf),
        str(empty),
        env=worker_env(isolated_storage),
    )

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["filename"], line["status"]) for line in lines] == [
        ("msa.pdf", "indexed"),
        ("empty.txt", "failed"),
    ]
    assert lines[0]["pages"] == 3 and lines[0]["chunks"] >= 3
    assert set(lines[0]) == {"id", "filename", "status", "reason", "pages", "chunks"}


def test_search_command_prints_ranked_hits_as_json(isolated_storage):
    matter = make_matter("cli-search")
    document = submit(matter, "msa.pdf", make_text_pdf(CONTRACT_PAGES))
    wait_until_final([document.pk])

    result = _manage(
        "search",
        "--matter",
        "cli-search",
        "--k",
        "2",
        "Which law governs the agreement?",
        env=worker_env(isolated_storage),
    )

    assert result.returncode == 0, result.stderr
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(hits) == 2
    assert hits[0]["page"] == 3 and "Delaware" in hits[0]["text"]
    assert hits[0]["score"] >= hits[1]["score"]
    assert {"document", "filename", "page", "char_start", "char_end", "score", "text"} <= set(
        hits[0]
    )


def test_ingest_wait_without_a_worker_says_so_instead_of_hanging(tmp_path, isolated_storage):
    pdf = tmp_path / "msa.pdf"
    pdf.write_bytes(make_text_pdf(["Nobody is listening."]))
    env = worker_env(isolated_storage, redis_url=idle_redis_url())
    env["DOCPROC_WORKER_PING_TIMEOUT"] = "1"

    result = _manage(
        "ingest",
        "--matter",
        "no-worker",
        "--wait",
        "--timeout",
        "30",
        str(pdf),
        env=env,
        timeout=60,
    )

    assert result.returncode == 3
    assert "No Celery worker answered" in result.stderr
    assert json.loads(result.stdout.splitlines()[0])["status"] == "received"


def test_worker_children_killed_mid_embedding_finish_the_document_without_duplicates(
    celery_worker,
):
    import os
    import signal
    import time

    matter = make_matter("killed-mid-task")
    # Enough passages for several rounds of embedding tasks per worker child: with one round
    # (two tasks side by side) both could land between two polls and the middle never show.
    pages = [
        f"{n}. CLAUSE {n}\n\nThe supplier shall deliver item {n} by day {n * 3} of the term, "
        f"and the customer shall pay invoice {n} within {n + 10} days of receipt."
        for n in range(1, 481)
    ]
    document = submit(matter, "long.pdf", make_text_pdf(pages))

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        embedded = Chunk.objects.filter(document=document, embedding__isnull=False).count()
        total = Chunk.objects.filter(document=document).count()
        if 0 < embedded < total:
            break
        time.sleep(0.02)
    else:
        pytest.fail("the document never reached the middle of embedding")
    for pid in celery_worker.pids()[1:]:
        os.kill(pid, signal.SIGKILL)

    final = wait_until_final([document.pk], timeout=240)[document.pk]

    ordinals = list(Chunk.objects.filter(document=document).values_list("ordinal", flat=True))
    assert final.status == "indexed", final.reason
    assert sorted(ordinals) == list(range(final.chunk_count))
    check = indexes.check(matter)
    assert (check.ok, check.vectors) == (True, final.chunk_count)
