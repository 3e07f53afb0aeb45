"""OCR of scanned pages with the real Tesseract (skipped only where it is not installed)."""

from __future__ import annotations

import shutil
from io import BytesIO

import pytest
from pypdf import PdfReader, PdfWriter

from docproc.pipeline.ingest.parse import ocr as ocr_module
from docproc.pipeline.ingest.parse import parse_document
from docproc.pipeline.ingest.parse.ocr import OcrEngine
from docproc.pipeline.types import UnsupportedDocumentError
from tests.factories.files import make_scanned_pdf, make_text_pdf

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract is not installed"
)

SENTENCE = "Allergies: penicillin causes a rash."


@pytest.fixture(scope="module")
def scanned() -> bytes:
    return make_scanned_pdf(SENTENCE)


def words(text: str) -> str:
    return " ".join(text.split())


@needs_tesseract
def test_engine_is_available_where_tesseract_and_its_language_are_installed():
    assert OcrEngine("eng").available() is True


def test_engine_is_unavailable_without_the_tesseract_binary(monkeypatch):
    monkeypatch.setattr(ocr_module.shutil, "which", lambda name: None)

    assert OcrEngine().available() is False


def test_engine_is_unavailable_for_a_language_that_is_not_installed():
    assert OcrEngine("xx_not_a_language").available() is False


@needs_tesseract
def test_ocr_reads_the_words_of_a_scanned_page(scanned):
    text = OcrEngine().ocr_pdf_page(scanned, 0, None)

    assert words(text) == SENTENCE


@needs_tesseract
def test_ocr_of_the_same_page_gives_the_same_text(scanned):
    engine = OcrEngine()

    assert engine.ocr_pdf_page(scanned, 0, None) == engine.ocr_pdf_page(scanned, 0, None)


@needs_tesseract
def test_scanned_page_is_parsed_through_ocr(scanned):
    parsed = parse_document(scanned, "pdf", "scan.pdf", ocr=OcrEngine())

    assert [(page.source, words(page.text)) for page in parsed.pages] == [("ocr", SENTENCE)]
    assert parsed.warnings == ()


@needs_tesseract
def test_encrypted_scanned_page_is_ocred_with_the_password(scanned):
    writer = PdfWriter(clone_from=PdfReader(BytesIO(scanned)))
    writer.encrypt(user_password="s3cret", algorithm="AES-256")
    buffer = BytesIO()
    writer.write(buffer)

    parsed = parse_document(
        buffer.getvalue(), "pdf", "scan.pdf", password="s3cret", ocr=OcrEngine()
    )

    assert words(parsed.pages[0].text) == SENTENCE


@needs_tesseract
def test_blank_pdf_with_ocr_available_has_no_text_to_extract():
    with pytest.raises(UnsupportedDocumentError) as caught:
        parse_document(make_text_pdf([""]), "pdf", "blank.pdf", ocr=OcrEngine())

    assert caught.value.reason == (
        "No text could be extracted from this document: OCR read its 1 scanned page(s) and "
        "found no text in them (they may be photos or drawings)."
    )
