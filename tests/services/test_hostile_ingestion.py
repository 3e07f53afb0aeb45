"""Hostile and broken files through ingestion: each ends ``failed`` with a reason, the original
is kept, this process (a worker, in production) lives on, and the next document is indexed."""

from __future__ import annotations

import time

import pytest

from docproc.models import DocumentStatus
from docproc.pipeline.ingest import parse as parse_package
from docproc.services import ingestion, matters, storage
from tests.factories.files import (
    make_billion_laughs,
    make_pdf_flate_bomb,
    make_pdf_with_cyclic_page_tree,
    make_zip_bomb_docx,
)

pytestmark = pytest.mark.django_db

NEXT_TEXT = b"The tenant shall pay the rent on the first day of each month.\n"


def hang(*args):
    time.sleep(600)


def hoard(*args):
    return [bytearray(32 * 1024 * 1024) for _ in range(64)]  # 2 GiB


def parsed_state(slug: str, filename: str, data: bytes):
    """Submit ``data`` and run the parse stage here; returns the document afterwards."""
    matter = matters.get_or_create_matter(slug)[0]
    document = ingestion.submit(matter, filename, [data]).document
    ingestion.parse(document.pk)
    document.refresh_from_db()
    return document


@pytest.fixture
def no_queue(monkeypatch):
    monkeypatch.setattr(ingestion, "enqueue_processing", lambda document_id: None)


def test_a_parser_that_hangs_is_stopped_at_the_time_limit_and_the_next_document_is_indexed(
    monkeypatch, settings, no_queue, index_document
):
    settings.PARSE_TIMEOUT_S = 1
    monkeypatch.setitem(parse_package.PARSERS, "office", hang)
    started = time.monotonic()

    document = parsed_state("hostile-hang", "hang.txt", b"Never parsed.\n")

    assert time.monotonic() - started < 10
    assert document.status == DocumentStatus.FAILED
    assert document.reason.startswith("Parsing took longer than the limit of 1 s and was stopped.")
    assert storage.read(document.sha256) == b"Never parsed.\n"
    monkeypatch.undo()
    _, following = index_document("hostile-hang", "lease.txt", NEXT_TEXT)
    assert following.status == DocumentStatus.INDEXED


def test_a_parser_that_allocates_past_the_memory_limit_is_stopped_and_the_next_is_indexed(
    monkeypatch, settings, no_queue, index_document
):
    settings.PARSE_MEMORY_MB = 256
    monkeypatch.setitem(parse_package.PARSERS, "office", hoard)

    document = parsed_state("hostile-hoard", "hoard.txt", b"Never parsed either.\n")

    assert document.status == DocumentStatus.FAILED
    assert document.reason.startswith(
        "Parsing needed more than the limit of 256 MiB of memory and was stopped."
    )
    assert storage.read(document.sha256) == b"Never parsed either.\n"
    monkeypatch.undo()
    _, following = index_document("hostile-hoard", "lease.txt", NEXT_TEXT)
    assert following.status == DocumentStatus.INDEXED


@pytest.mark.parametrize(
    ("filename", "data", "reason_start"),
    [
        ("bomb.docx", make_zip_bomb_docx(16), "The Word document has a part (word/media/"),
        ("laughs.xlsx", make_billion_laughs("xlsx"), "The Excel workbook was refused as unsafe"),
        ("bomb.pdf", make_pdf_flate_bomb(60), "This PDF was refused as unsafe"),
        ("cyclic.pdf", make_pdf_with_cyclic_page_tree(), "The PDF is damaged or truncated"),
    ],
)
def test_a_bomb_ends_failed_with_its_reason_and_its_original_kept(
    no_queue, filename, data, reason_start
):
    document = parsed_state("hostile-bombs", filename, data)

    assert document.status == DocumentStatus.FAILED
    assert document.reason.startswith(reason_start)
    assert storage.read(document.sha256) == data
