"""detect_type decides the document type from the bytes, never from the file name alone."""

from __future__ import annotations

import io
import zipfile

import pytest

from docproc.pipeline.ingest.sniff import decode_text, detect_type
from docproc.pipeline.types import UnsupportedDocumentError
from tests.factories.files import (
    make_docx,
    make_eml,
    make_pptx,
    make_text_pdf,
    make_xlsx,
    truncate,
)

ALLOWED = "allowed: PDF, Word, PowerPoint, Excel, HTML, e-mail, Markdown, plain text"


def reason_of(data: bytes, filename: str = "upload.bin") -> str:
    with pytest.raises(UnsupportedDocumentError) as caught:
        detect_type(data, filename)
    return caught.value.reason


def test_pdf_is_detected_by_its_magic_number():
    assert detect_type(make_text_pdf(["Hello."]), "upload.bin") == "pdf"


def test_pdf_header_after_whitespace_and_a_bom_is_still_a_pdf():
    data = b"\xef\xbb\xbf\r\n  " + make_text_pdf(["Hello."])

    assert detect_type(data, "scan.pdf") == "pdf"


def test_text_that_quotes_a_pdf_header_is_text_not_pdf():
    data = b"The header of a PDF file is %PDF-1.7 followed by a newline.\n"

    assert detect_type(data, "notes.txt") == "txt"


def test_word_document_named_pdf_is_detected_as_docx():
    assert detect_type(make_docx(["Mislabelled."]), "contract.pdf") == "docx"


def test_powerpoint_is_detected_by_its_presentation_part():
    assert detect_type(make_pptx(["Slide."]), "deck.zip") == "pptx"


def test_excel_is_detected_by_its_workbook_part():
    assert detect_type(make_xlsx({"Sheet": [["a", 1]]}), "book.dat") == "xlsx"


def test_truncated_word_document_is_still_typed_as_docx_so_parsing_can_report_it():
    data = make_docx(["Cut short."])

    assert detect_type(truncate(data, len(data) // 2), "contract.docx") == "docx"


def test_zip_archive_that_is_not_an_office_file_is_rejected_naming_what_it_is():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")

    assert reason_of(buffer.getvalue(), "files.zip") == (
        f"This file is not a supported type (detected: a ZIP archive; {ALLOWED})."
    )


def test_empty_file_is_rejected_as_empty():
    assert reason_of(b"", "empty.pdf") == "The file is empty (0 bytes)."


def test_binary_data_is_rejected_with_the_allowed_types():
    data = bytes(range(256)) * 4

    assert reason_of(data) == (
        f"This file is not a supported type (detected: binary data; {ALLOWED})."
    )


def test_image_is_rejected_naming_the_image_type():
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

    assert reason_of(data, "scan.pdf") == (
        f"This file is not a supported type (detected: a PNG image; {ALLOWED})."
    )


def test_legacy_office_file_is_rejected_as_such():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512

    assert reason_of(data, "old.doc") == (
        "This file is not a supported type (detected: a legacy or password-protected "
        f"Microsoft Office file; {ALLOWED})."
    )


def test_email_is_detected_by_its_headers():
    assert detect_type(make_eml("Board meeting", "See you at noon."), "message.txt") == "eml"


def test_email_saved_with_an_mbox_from_line_is_an_email():
    data = b"From - Mon Mar  2 09:30:00 2026\n" + make_eml("Board meeting", "At noon.")

    assert detect_type(data, "saved.eml") == "eml"


def test_note_with_a_single_header_like_line_is_plain_text():
    data = b"Subject: things to buy\n\nMilk and bread.\n"

    assert detect_type(data, "note.txt") == "txt"


def test_html_is_detected_by_its_doctype():
    data = b"\n<!DOCTYPE html>\n<html><body><p>Hi.</p></body></html>"

    assert detect_type(data, "page.txt") == "html"


def test_html_fragment_starting_with_body_is_html():
    assert detect_type(b"<body><h1>Title</h1></body>", "fragment") == "html"


def test_markdown_that_mentions_html_tags_is_markdown():
    data = b"# Notes\n\nWrap the page in an <html> element.\n"

    assert detect_type(data, "notes.md") == "md"


def test_markdown_is_recognised_by_its_file_name_only():
    data = b"# Title\n\nSome text.\n"

    assert (detect_type(data, "README.Markdown"), detect_type(data, "readme.txt")) == (
        "md",
        "txt",
    )


def test_utf16_text_with_a_bom_is_text():
    data = "Résumé of the case.\n".encode("utf-16")

    assert detect_type(data, "case.txt") == "txt"


def test_decode_text_drops_a_utf8_bom():
    assert decode_text(b"\xef\xbb\xbfHello") == "Hello"


def test_decode_text_refuses_text_with_nul_bytes():
    assert decode_text(b"Hello\x00world") is None
