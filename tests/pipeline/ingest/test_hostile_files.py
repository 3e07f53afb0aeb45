"""Files built to hurt the parsers (bombs, cycles, deep nesting) are refused with a reason a
person can act on, quickly and before they cost memory; sniffing reads only what it needs."""

from __future__ import annotations

import time
import zipfile
from io import BytesIO

import pytest

from docproc.pipeline.ingest.file_types import OOXML_MAX_UNPACKED_BYTES
from docproc.pipeline.ingest.parse import parse_document
from docproc.pipeline.ingest.parse.ooxml_safety import MAX_RATIO, check_container
from docproc.pipeline.ingest.sniff import HEAD_BYTES, detect_file_type, detect_type
from docproc.pipeline.types import UnsupportedDocumentError
from tests.factories.files import (
    declaring_unpacked_sizes,
    make_billion_laughs,
    make_docx,
    make_pdf_flate_bomb,
    make_pdf_with_cyclic_outline,
    make_pdf_with_cyclic_page_tree,
    make_pdf_with_deep_page_tree,
    make_pdf_with_deeply_nested_content,
    make_zip_bomb_docx,
    replace_zip_member,
    with_zip_member,
)


def refusal(data: bytes, filename: str) -> str:
    """The reason ``parse_document`` refuses ``data`` with (typed as ``detect_type`` says)."""
    with pytest.raises(UnsupportedDocumentError) as caught:
        parse_document(data, detect_type(data, filename), filename)
    return caught.value.reason


# --- ZIP and XML bombs disguised as Office files ------------------------------------------------


def test_a_zip_bomb_disguised_as_a_word_document_is_refused_for_its_compression_ratio():
    reason = refusal(make_zip_bomb_docx(unpacked_mib=64), "contract.docx")

    assert reason == (
        "The Word document has a part (word/media/image1.bin) compressed 1,028:1, far more "
        f"than the {MAX_RATIO}:1 of ordinary documents; it was refused as unsafe (it may be a "
        "ZIP bomb)."
    )


def test_an_office_file_with_one_part_declared_past_the_part_limit_is_refused():
    docx = with_zip_member(make_docx(["Text."]), "word/media/big.bin", b"x" * 1000)
    data = declaring_unpacked_sizes(docx, {"word/media/big.bin": 300 * 2**20})

    assert refusal(data, "big.docx") == (
        "The Word document has a part (word/media/big.bin) that unpacks to 300 MB, more than "
        "the limit of 256 MB for one part; it may be a ZIP bomb."
    )


def test_an_office_file_declared_to_unpack_past_the_total_limit_is_refused():
    docx = make_docx(["Text."])
    for n in range(3):
        docx = with_zip_member(docx, f"word/media/part{n}.bin", b"x" * 1000)
    data = declaring_unpacked_sizes(
        docx, {f"word/media/part{n}.bin": 200 * 2**20 for n in range(3)}
    )

    assert refusal(data, "big.docx").startswith("The Word document unpacks to 600 MB, more than ")
    assert refusal(data, "big.docx").endswith("the limit of 512 MB; it may be a ZIP bomb.")


@pytest.mark.parametrize(
    ("kind", "name", "part"),
    [
        ("docx", "Word document", "word/document.xml"),
        ("pptx", "PowerPoint presentation", "ppt/slides/slide1.xml"),
        ("xlsx", "Excel workbook", "xl/worksheets/sheet1.xml"),
    ],
)
def test_billion_laughs_in_an_office_part_is_refused_as_unsafe_before_parsing(kind, name, part):
    started = time.monotonic()

    reason = refusal(make_billion_laughs(kind), f"laughs.{kind}")

    assert reason == (
        f"The {name} was refused as unsafe: its part {part} declares XML entities (a DTD), "
        "which Office files never contain and which can expand without bound (billion laughs)."
    )
    assert time.monotonic() - started < 5


def test_an_ordinary_but_very_repetitive_word_document_is_not_mistaken_for_a_bomb():
    docx = make_docx(["The same clause, again and again."])
    with zipfile.ZipFile(BytesIO(docx)) as archive:
        xml = archive.read("word/document.xml")
    start, end = xml.index(b"<w:p>"), xml.index(b"</w:p>") + len(b"</w:p>")
    repeated = xml[:start] + xml[start:end] * 20_000 + xml[end:]  # deflates about 300:1
    data = replace_zip_member(docx, "word/document.xml", repeated)
    part = zipfile.ZipFile(BytesIO(data)).getinfo("word/document.xml")
    assert part.file_size // part.compress_size > 200

    assert check_container(BytesIO(data), "Word document", OOXML_MAX_UNPACKED_BYTES) is None


# --- PDF bombs, cycles and nesting --------------------------------------------------------------


def test_a_pdf_whose_content_inflates_past_the_stream_limit_is_refused_as_unsafe():
    reason = refusal(make_pdf_flate_bomb(unpacked_mib=80), "bomb.pdf")

    assert reason.startswith("This PDF was refused as unsafe: it goes past a safety limit")
    assert reason.endswith("it may be a PDF bomb.")


def test_a_pdf_whose_page_tree_contains_itself_is_refused_as_damaged():
    reason = refusal(make_pdf_with_cyclic_page_tree(), "cyclic.pdf")

    assert reason == (
        "The PDF is damaged or truncated and could not be read: Detected cyclic page references."
    )


def test_a_pdf_with_a_page_tree_thousands_of_levels_deep_is_refused_as_unsafe():
    reason = refusal(make_pdf_with_deep_page_tree(depth=5000), "deep.pdf")

    assert reason.startswith("This PDF was refused as unsafe")
    assert "Maximum page tree depth reached" in reason


def test_a_pdf_whose_outline_loops_still_gives_its_text():
    parsed = parse_document(make_pdf_with_cyclic_outline(), "pdf", "outline.pdf")

    assert [page.text for page in parsed.pages] == ["A page of a hostile PDF."]


def test_a_pdf_page_with_deeply_nested_content_becomes_a_warning_not_a_crash():
    parsed = parse_document(make_pdf_with_deeply_nested_content(depth=100_000), "pdf", "n.pdf")

    assert [page.source for page in parsed.pages] == ["none"]
    assert len(parsed.warnings) == 1
    assert parsed.warnings[0].startswith(
        "page 1: the text could not be extracted (maximum recursion depth exceeded"
    )


# --- sniffing reads only what it needs ----------------------------------------------------------


class CountingFile(BytesIO):
    """A file that remembers how many bytes were read from it, and the largest single read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0
        self.largest_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        self.largest_read = max(self.largest_read, len(data))
        return data


def test_sniffing_a_large_pdf_reads_only_its_head():
    stored = CountingFile(b"%PDF-1.7\n" + b"0" * (20 * 2**20))

    assert detect_file_type(stored, "big.pdf") == "pdf"
    assert stored.bytes_read == HEAD_BYTES


def test_sniffing_a_large_word_document_reads_its_central_directory_not_its_parts():
    data = with_zip_member(make_docx(["Text."]), "word/media/photo.bin", bytes(range(256)) * 80_000)
    stored = CountingFile(data)

    assert detect_file_type(stored, "photo.docx") == "docx"
    assert stored.bytes_read < 64 * 1024 < len(data)


def test_sniffing_a_large_text_file_reads_it_in_pieces_of_at_most_a_mebibyte():
    stored = CountingFile(("Plain words on a line.\n" * 1_000_000).encode())

    assert detect_file_type(stored, "notes.txt") == "txt"
    assert stored.largest_read <= 2**20


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("é".encode() * 2**20, "txt"),  # two-byte characters across every piece boundary
        (b"x" * (2**20 - 1) + "é".encode(), "txt"),
        (b"x" * 2**20 + b"\xff", None),
        (b"x" * (3 * 2**20) + b"\x00", None),
        ("\ufeffsome text".encode("utf-16"), "txt"),
    ],
)
def test_sniffing_text_in_pieces_agrees_with_decoding_it_whole(data, expected):
    if expected is None:
        with pytest.raises(UnsupportedDocumentError):
            detect_file_type(BytesIO(data), "f.txt")
    else:
        assert detect_file_type(BytesIO(data), "f.txt") == expected
