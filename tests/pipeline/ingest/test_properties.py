"""Property-based fuzzing of the ingestion stages (hypothesis): whatever bytes arrive, sniffing
and parsing end in a type or a ``DocumentError`` with a reason, never another exception; the
chunker's passages are always exact slices of their page within the word-piece budget; stored
text normalisation is idempotent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docproc.pipeline.ingest.chunk import chunk_pages
from docproc.pipeline.ingest.file_types import FILE_TYPES
from docproc.pipeline.ingest.parse import parse_document
from docproc.pipeline.ingest.sniff import detect_type
from docproc.pipeline.text import normalize_text
from docproc.pipeline.types import DocumentError, PageText
from docproc.pipeline.wordpieces import word_piece_counter
from tests.factories.files import make_docx, make_eml, make_pptx, make_text_pdf, make_xlsx
from tests.support.fuzzing import fuzz_settings

FUZZ = fuzz_settings(60)

SEEDS = {
    "contract.pdf": make_text_pdf(["The tenant shall pay rent monthly.", "Notice: 90 days."]),
    "memo.docx": make_docx(["Payment is due in 30 days."], heading="Terms"),
    "deck.pptx": make_pptx(["Revenue grew 5%"], titles=["Results"]),
    "book.xlsx": make_xlsx({"Sheet1": [["Item", "Amount"], ["Rent", 2400]]}),
    "mail.eml": make_eml("Invoice", "Please pay 2,400 by Friday."),
    "note.txt": b"Plain text note.\nSecond line.",
    "page.html": b"<html><body><h1>Title</h1><p>Body text.</p></body></html>",
}


@st.composite
def damaged(draw) -> tuple[bytes, str]:
    """A real file of every kind, cut short, with bytes flipped or spliced in."""
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.binary(max_size=64))
    return bytes(data), name


def sniff_and_parse(data: bytes, name: str) -> None:
    try:
        file_type = detect_type(data, name)
    except DocumentError as exc:
        assert str(exc)  # a reason a person can read
        return
    assert file_type in FILE_TYPES
    try:
        parsed = parse_document(data, file_type, name, max_pages=50)
    except DocumentError as exc:
        assert str(exc)
        return
    assert all(page.number == n for n, page in enumerate(parsed.pages, start=1))


@FUZZ
@given(data=st.binary(max_size=2048), name=st.sampled_from(sorted(SEEDS)))
def test_any_bytes_are_sniffed_to_a_registered_type_or_refused_with_a_reason(data, name):
    sniff_and_parse(data, name)


@FUZZ
@given(damaged())
def test_damaged_files_parse_or_fail_with_a_reason(case):
    sniff_and_parse(*case)


@pytest.fixture(scope="module")
def counter():
    return word_piece_counter()


words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=400
)


@FUZZ
@given(pages=st.lists(words, min_size=1, max_size=4), max_tokens=st.integers(32, 254))
def test_every_chunk_is_an_exact_slice_of_its_page_within_its_budget(counter, pages, max_tokens):
    texts = [normalize_text(text) for text in pages]
    page_texts = [PageText(number=n, text=t) for n, t in enumerate(texts, start=1)]

    chunks = chunk_pages(page_texts, counter, max_tokens=max_tokens, overlap_tokens=16)

    for chunk in chunks:
        page = texts[chunk.page - 1]
        assert page[chunk.char_start : chunk.char_end] == chunk.text
        assert chunk.token_count <= max_tokens
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


@FUZZ
@given(words)
def test_normalising_stored_text_twice_changes_nothing(text):
    once = normalize_text(text)

    assert normalize_text(once) == once
