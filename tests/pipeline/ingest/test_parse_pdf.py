"""PDF parsing: page texts, blocks, encryption, damage, limits, and pages without text."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PageObject, PdfReader, PdfWriter

from docproc.pipeline.ingest.parse import parse_document
from docproc.pipeline.ingest.parse.blocks import text_blocks
from docproc.pipeline.ingest.parse.pdf import parse_pdf
from docproc.pipeline.text import normalize_text
from docproc.pipeline.types import (
    Block,
    PageText,
    PasswordRequiredError,
    UnsupportedDocumentError,
)
from tests.factories.files import (
    make_encrypted_pdf,
    make_scanned_pdf,
    make_text_pdf,
    truncate,
)

CONTRACT = [
    "MASTER SERVICES AGREEMENT\n\nThis agreement is made between Northwind Legal LLP and "
    "Contoso Health Ltd. It sets out the services that Northwind provides and the fees.",
    "1. Definitions\n\nThe Effective Date is the first day of March 2026.\n\n"
    "SECTION 4 TERM\n\nThe initial term is thirty-six months.",
]


def parse(data: bytes, password: str | None = None, max_pages: int = 100):
    return parse_pdf(data, password, max_pages, None)


def block_texts(page: PageText) -> list[tuple[str, str]]:
    return [(b.kind, page.text[b.char_start : b.char_end]) for b in page.blocks]


def test_each_page_gets_its_own_number_and_text():
    parsed = parse(make_text_pdf(CONTRACT))

    assert [(page.number, page.source) for page in parsed.pages] == [(1, "text"), (2, "text")]
    assert "The Effective Date is the first day of March 2026." in parsed.pages[1].text
    assert "Effective Date" not in parsed.pages[0].text


def test_wrapped_lines_of_a_page_are_kept_as_extracted():
    parsed = parse(make_text_pdf(CONTRACT))

    assert parsed.pages[0].text == (
        "MASTER SERVICES AGREEMENT\n"
        "This agreement is made between Northwind Legal LLP and Contoso Health Ltd. "
        "It sets out the\n"
        "services that Northwind provides and the fees."
    )


def test_headings_and_paragraphs_become_blocks():
    parsed = parse(make_text_pdf(CONTRACT))

    assert block_texts(parsed.pages[1]) == [
        ("heading", "1. Definitions"),
        ("paragraph", "The Effective Date is the first day of March 2026."),
        ("heading", "SECTION 4 TERM"),
        ("paragraph", "The initial term is thirty-six months."),
    ]


def test_same_bytes_give_the_same_parse():
    data = make_text_pdf(CONTRACT)

    assert parse(data) == parse(data)


def test_encrypted_pdf_without_password_needs_one():
    with pytest.raises(PasswordRequiredError) as caught:
        parse(make_encrypted_pdf(CONTRACT, "s3cret"))

    assert caught.value.reason == "This PDF is encrypted. Supply its password to process it."


def test_encrypted_pdf_with_the_right_password_parses():
    parsed = parse(make_encrypted_pdf(CONTRACT, "s3cret"), password="s3cret")

    assert "The initial term is thirty-six months." in parsed.pages[1].text


def test_encrypted_pdf_with_a_wrong_password_says_the_password_is_wrong():
    with pytest.raises(PasswordRequiredError) as caught:
        parse(make_encrypted_pdf(CONTRACT, "s3cret"), password="guess")

    assert caught.value.reason == "The password supplied for this PDF is wrong."


def test_pdf_with_an_empty_user_password_opens_without_one():
    writer = PdfWriter(clone_from=PdfReader(BytesIO(make_text_pdf(CONTRACT))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buffer = BytesIO()
    writer.write(buffer)

    parsed = parse(buffer.getvalue())

    assert "The initial term is thirty-six months." in parsed.pages[1].text


def test_truncated_pdf_is_reported_as_damaged():
    with pytest.raises(UnsupportedDocumentError) as caught:
        parse(truncate(make_text_pdf(CONTRACT), 400))

    assert caught.value.reason.startswith("The PDF is damaged or truncated and could not be read: ")


def test_garbage_after_a_pdf_header_is_reported_as_damaged():
    with pytest.raises(UnsupportedDocumentError) as caught:
        parse(b"%PDF-1.7\n" + b"this is not a pdf body " * 20)

    assert caught.value.reason.startswith("The PDF is damaged or truncated and could not be read: ")


def test_empty_pdf_is_reported_as_empty():
    with pytest.raises(UnsupportedDocumentError) as caught:
        parse(b"")

    assert caught.value.reason == "The file is empty (0 bytes)."


def test_pdf_over_the_page_limit_is_refused_naming_the_limit():
    with pytest.raises(UnsupportedDocumentError) as caught:
        parse(make_text_pdf(["One.", "Two.", "Three."]), max_pages=2)

    assert caught.value.reason == "The PDF has 3 pages, more than the limit of 2 pages."


def test_page_whose_extraction_fails_is_left_empty_with_a_warning(monkeypatch):
    original = PageObject.extract_text

    def extract_text(page, *args, **kwargs):
        if "thirty-six" in original(page, *args, **kwargs):
            raise KeyError("/Font")
        return original(page, *args, **kwargs)

    monkeypatch.setattr(PageObject, "extract_text", extract_text)

    parsed = parse(make_text_pdf(CONTRACT))

    assert parsed.pages[1] == PageText(number=2, text="", blocks=(), source="none")
    assert parsed.warnings == ("page 2: the text could not be extracted ('/Font')",)
    assert parsed.pages[0].text.startswith("MASTER SERVICES AGREEMENT")


def test_scanned_page_without_ocr_is_marked_and_warned_about():
    parsed = parse(make_scanned_pdf("Allergies: penicillin causes rash."))

    assert parsed.pages == (PageText(number=1, text="", blocks=(), source="none"),)
    assert parsed.warnings == ("page 1 has no text layer and OCR is not available",)


def test_scanned_pdf_without_ocr_is_not_a_failed_document():
    parsed = parse_document(make_scanned_pdf("Discharge summary."), "pdf", "scan.pdf", ocr=None)

    assert [page.source for page in parsed.pages] == ["none"]


def test_parse_document_passes_the_password_to_the_pdf_parser():
    data = make_encrypted_pdf(CONTRACT, "s3cret")

    parsed = parse_document(data, "pdf", "sealed.pdf", password="s3cret")

    assert len(parsed.pages) == 2


def test_parse_document_refuses_an_unknown_type():
    with pytest.raises(UnsupportedDocumentError) as caught:
        parse_document(b"data", "exe", "setup.exe")

    assert caught.value.reason == "Documents of type 'exe' cannot be parsed."


# --- the text helpers every parser shares ---------------------------------------------------


def test_normalize_text_makes_line_breaks_unicode_and_spacing_canonical():
    raw = "\n  Cafe\u0301 \r\nline two\t \rline\x00 three\x0c\n\n"

    assert normalize_text(raw) == "  Café\nline two\nline three"


def test_text_without_blank_lines_splits_paragraphs_at_sentence_ends():
    text = (
        "Discharge Diagnosis\n"
        "Community-acquired pneumonia, treated with\n"
        "amoxicillin. Fever resolved on day three.\n"
        "Follow up with the GP in two weeks."
    )

    blocks = text_blocks(text)

    assert [(b.kind, text[b.char_start : b.char_end]) for b in blocks] == [
        ("heading", "Discharge Diagnosis"),
        (
            "paragraph",
            "Community-acquired pneumonia, treated with\namoxicillin. Fever resolved on day three.",
        ),
        ("paragraph", "Follow up with the GP in two weeks."),
    ]


def test_text_with_blank_lines_splits_paragraphs_only_there():
    text = "First sentence.\nSecond sentence of the same paragraph.\n\nNext paragraph."

    assert text_blocks(text) == (Block("paragraph", 0, 54), Block("paragraph", 56, 71))


def test_bullets_are_list_items_and_a_wrapped_bullet_stays_one_item():
    text = (
        "- first item\n"
        "- second item, which is long enough\n"
        "  to wrap onto a second line.\n"
        "The Seller Shall Deliver the Goods on the Date Agreed in Writing by the Parties"
    )

    blocks = text_blocks(text)

    assert [(b.kind, text[b.char_start : b.char_end]) for b in blocks] == [
        ("list_item", "- first item"),
        ("list_item", "- second item, which is long enough\n  to wrap onto a second line."),
        (
            "paragraph",
            "The Seller Shall Deliver the Goods on the Date Agreed in Writing by the Parties",
        ),
    ]
