"""The parse stage: bytes of a known type in, page texts with structural blocks out.

``parse_document`` runs the parser its file type names (``FileType.parser`` in
``ingest.file_types``) from ``PARSERS``: ``pdf`` is pypdf with OCR for scanned pages,
``office`` is unstructured for every other type (plain text read directly). Every
parser ends its text in ``pipeline.text.normalize_text`` and cuts it into blocks with
``blocks.text_blocks``, so the same bytes always give the same pages.
A new parser is a module here and an entry in ``PARSERS`` (ARCHITECTURE.md, "How to add").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from docproc.pipeline.ingest.file_types import FILE_TYPES
from docproc.pipeline.types import NO_TEXT_REASON, ParsedDocument, UnsupportedDocumentError

if TYPE_CHECKING:
    from docproc.pipeline.ingest.parse.ocr import OcrEngine

logger = logging.getLogger(__name__)

NO_TEXT_AFTER_OCR_REASON = (
    "No text could be extracted from this document: OCR read its {pages} scanned page(s) and "
    "found no text in them (they may be photos or drawings)."
)


def _parse_pdf(
    data: bytes,
    file_type: str,
    filename: str,
    password: str | None,
    max_pages: int,
    ocr: OcrEngine | None,
) -> ParsedDocument:
    # Imported on first use: each parser loads its engine library when it is imported.
    from docproc.pipeline.ingest.parse.pdf import parse_pdf

    return parse_pdf(data, password, max_pages, ocr)


def _parse_office(
    data: bytes,
    file_type: str,
    filename: str,
    password: str | None,
    max_pages: int,
    ocr: OcrEngine | None,
) -> ParsedDocument:
    from docproc.pipeline.ingest.parse.office import parse_office

    parsed = parse_office(data, file_type, filename)
    if len(parsed.pages) > max_pages:
        raise UnsupportedDocumentError(_too_many_pages_reason(len(parsed.pages), max_pages))
    return parsed


# A parser: (data, file type, file name, password, max pages, OCR engine) -> pages.
Parser = Callable[[bytes, str, str, "str | None", int, "OcrEngine | None"], ParsedDocument]

# Each parser by the name ``FileType.parser`` gives it in ``ingest.file_types``.
PARSERS: dict[str, Parser] = {
    "pdf": _parse_pdf,
    "office": _parse_office,
}


def parse_document(
    data: bytes,
    file_type: str,
    filename: str,
    *,
    password: str | None = None,
    max_pages: int = 5000,
    ocr: OcrEngine | None = None,
) -> ParsedDocument:
    """Parse ``data`` (of ``file_type``, as ``detect_type`` gave it) into pages.

    Raises UnsupportedDocumentError when the document is unreadable, over ``max_pages`` pages,
    or yields no text at all, and PasswordRequiredError for an encrypted PDF without the right
    password. A scanned PDF with no OCR available is not an error: its pages come back with
    ``source="none"`` and a warning each.
    """
    registered = FILE_TYPES.get(file_type)
    if registered is None:
        raise UnsupportedDocumentError(f"Documents of type {file_type!r} cannot be parsed.")
    parsed = PARSERS[registered.parser](data, file_type, filename, password, max_pages, ocr)
    _require_text(parsed, ocr_available=ocr is not None and ocr.available())
    return parsed


def prepare_parser(file_type: str) -> None:
    """Load the engine library that parses ``file_type`` into this process now, so the children
    ``parse.sandbox`` forks to parse share it instead of each loading it again (unstructured
    and its spaCy model take about 4 s)."""
    registered = FILE_TYPES.get(file_type)
    if registered is None:
        return
    if registered.parser == "pdf":
        import docproc.pipeline.ingest.parse.pdf  # noqa: F401  # imports pypdf
    elif registered.parser == "office" and file_type != "txt":
        from docproc.pipeline.ingest.parse.office import warm_up

        warm_up()


def _require_text(parsed: ParsedDocument, *, ocr_available: bool) -> None:
    """Fail a document with no text at all, unless pages are empty only for want of OCR."""
    if any(page.text.strip() for page in parsed.pages):
        return
    waiting_for_ocr = not ocr_available and any(page.source == "none" for page in parsed.pages)
    if waiting_for_ocr:
        return
    read_by_ocr = sum(page.source == "ocr" for page in parsed.pages)
    if read_by_ocr:
        raise UnsupportedDocumentError(NO_TEXT_AFTER_OCR_REASON.format(pages=read_by_ocr))
    raise UnsupportedDocumentError(NO_TEXT_REASON)


def _too_many_pages_reason(pages: int, max_pages: int) -> str:
    return f"The document has {pages} pages, more than the limit of {max_pages} pages."
