"""PDF parsing with pypdf, page by page; scanned pages go to OCR when it is available.

The only module that imports pypdf. pypdf raises a zoo of exception types on malformed files
(its own, but also ValueError, KeyError, TypeError, RecursionError...), so every call into it
is guarded and turned into a DocumentError with a reason a person can act on, or, for one
page, into a warning.
"""

from __future__ import annotations

import logging
from io import BytesIO
from typing import TYPE_CHECKING

from pypdf import Configuration, PdfReader, apply_configuration
from pypdf.errors import (
    DependencyError,
    FileNotDecryptedError,
    LimitReachedError,
    WrongPasswordError,
)

from docproc.pipeline.ingest.parse.blocks import text_blocks
from docproc.pipeline.text import normalize_text
from docproc.pipeline.types import (
    PageText,
    ParsedDocument,
    PasswordRequiredError,
    UnsupportedDocumentError,
)

if TYPE_CHECKING:
    from pypdf import PageObject

    from docproc.pipeline.ingest.parse.ocr import OcrEngine

logger = logging.getLogger(__name__)

NEEDS_PASSWORD_REASON = "This PDF is encrypted. Supply its password to process it."
WRONG_PASSWORD_REASON = "The password supplied for this PDF is wrong."
DAMAGED_REASON = "The PDF is damaged or truncated and could not be read: {detail}"
EMPTY_REASON = "The file is empty (0 bytes)."
NO_PAGES_REASON = "The PDF has no pages."
TOO_MANY_PAGES_REASON = "The PDF has {pages} pages, more than the limit of {max_pages} pages."
ENCRYPTION_UNSUPPORTED_REASON = "This PDF's encryption is not supported: {detail}"
UNSAFE_REASON = (
    "This PDF was refused as unsafe: it goes past a safety limit on its structure or on how "
    "much its contents decompress to ({detail}); it may be a PDF bomb."
)

# pypdf's safety limits while we read a PDF, tighter than its defaults where an ordinary
# document never comes near: a stream decompresses to at most 50 MB (a page's text content
# is kilobytes; images are never decoded for text), and no external JBIG2 decoder is run on
# uploaded bytes. Page-tree and outline depth and size keep pypdf's own limits, which also
# stop cycles. The sandbox's time and memory limits (parse/sandbox.py) bound the total.
_STREAM_LIMIT = 50_000_000
_PYPDF_LIMITS = Configuration().with_overwrites(
    maximum_declared_stream_length=_STREAM_LIMIT,
    zlib_maximum_output_length=_STREAM_LIMIT,
    lzw_maximum_output_length=_STREAM_LIMIT,
    run_length_maximum_output_length=_STREAM_LIMIT,
    brotli_maximum_output_length=_STREAM_LIMIT,
    array_based_stream_maximum_output_length=_STREAM_LIMIT,
    image_maximum_buffer_size=_STREAM_LIMIT,
    stream_decoding_work_maximum_length=4 * _STREAM_LIMIT,
    jbig2dec_binary=None,
)

# A page with fewer letters and digits than this has no usable text layer (a scanned page
# often carries only a stamped page number or a stray mark).
MIN_TEXT_LAYER_CHARS = 3


def parse_pdf(
    data: bytes, password: str | None, max_pages: int, ocr: OcrEngine | None
) -> ParsedDocument:
    """Extract each page's text (``source="text"``), OCR pages without a text layer when
    ``ocr`` is available (``source="ocr"``), and mark them ``source="none"`` otherwise.

    Raises PasswordRequiredError for an encrypted PDF without the right password, and
    UnsupportedDocumentError for empty, damaged or over-long PDFs. A page whose text cannot
    be extracted gets empty text and a warning instead of failing the document.
    """
    if not data:
        raise UnsupportedDocumentError(EMPTY_REASON)
    with apply_configuration(_PYPDF_LIMITS):
        return _parse(data, password, max_pages, ocr)


def _parse(
    data: bytes, password: str | None, max_pages: int, ocr: OcrEngine | None
) -> ParsedDocument:
    reader = _open(data)
    _unlock(reader, password)
    page_count = _page_count(reader)
    if page_count > max_pages:
        raise UnsupportedDocumentError(
            TOO_MANY_PAGES_REASON.format(pages=page_count, max_pages=max_pages)
        )
    use_ocr = ocr is not None and ocr.available()
    pages: list[PageText] = []
    warnings: list[str] = []
    for index in range(page_count):
        page = _parse_page(reader, index, data, password, ocr if use_ocr else None, warnings)
        pages.append(page)
    return ParsedDocument(pages=tuple(pages), warnings=tuple(warnings))


def _open(data: bytes) -> PdfReader:
    try:
        return PdfReader(BytesIO(data), strict=False)
    except Exception as exc:  # pypdf raises many types on malformed files
        _stop_on_limits(exc)
        raise UnsupportedDocumentError(DAMAGED_REASON.format(detail=_describe(exc))) from exc


def _unlock(reader: PdfReader, password: str | None) -> None:
    """Decrypt an encrypted PDF with ``password``, or with the empty user password that many
    "protected" PDFs use only to restrict printing or copying."""
    if not reader.is_encrypted:
        return
    candidates = [password, ""] if password else [""]
    try:
        if any(_decrypts(reader, candidate) for candidate in candidates):
            return
    except (DependencyError, NotImplementedError) as exc:
        raise UnsupportedDocumentError(
            ENCRYPTION_UNSUPPORTED_REASON.format(detail=_describe(exc))
        ) from exc
    except Exception as exc:  # a damaged encryption dictionary
        _stop_on_limits(exc)
        raise UnsupportedDocumentError(DAMAGED_REASON.format(detail=_describe(exc))) from exc
    raise PasswordRequiredError(WRONG_PASSWORD_REASON if password else NEEDS_PASSWORD_REASON)


def _decrypts(reader: PdfReader, password: str) -> bool:
    try:
        return bool(reader.decrypt(password))
    except WrongPasswordError:
        return False


def _page_count(reader: PdfReader) -> int:
    try:
        count = len(reader.pages)
    except FileNotDecryptedError as exc:
        raise PasswordRequiredError(NEEDS_PASSWORD_REASON) from exc
    except Exception as exc:  # a broken page tree
        _stop_on_limits(exc)
        raise UnsupportedDocumentError(DAMAGED_REASON.format(detail=_describe(exc))) from exc
    if count == 0:
        raise UnsupportedDocumentError(NO_PAGES_REASON)
    return count


def _parse_page(
    reader: PdfReader,
    index: int,
    data: bytes,
    password: str | None,
    ocr: OcrEngine | None,
    warnings: list[str],
) -> PageText:
    """One page: its text layer if it has one, else OCR if given, else an empty marked page."""
    number = index + 1
    text = _extract_text(reader, index, warnings)
    if text is not None and _has_text_layer(text):
        return PageText(number=number, text=text, blocks=text_blocks(text), source="text")
    if ocr is not None:
        ocr_text = _ocr_page(ocr, data, index, password, warnings)
        if ocr_text is not None and _alnum(ocr_text) >= _alnum(text or ""):
            return PageText(
                number=number, text=ocr_text, blocks=text_blocks(ocr_text), source="ocr"
            )
        if ocr_text is not None and text:  # OCR read less than the sparse text layer has
            return PageText(number=number, text=text, blocks=text_blocks(text), source="text")
    elif text is not None:
        warnings.append(f"page {number} has no text layer and OCR is not available")
    return PageText(number=number, text="", blocks=(), source="none")


def _extract_text(reader: PdfReader, index: int, warnings: list[str]) -> str | None:
    """The page's normalised text, or None (with a warning) when extraction fails."""
    try:
        page: PageObject = reader.pages[index]
        return normalize_text(page.extract_text())
    except Exception as exc:  # one bad page must not fail the document
        _stop_on_limits(exc)
        logger.warning("text extraction failed on page %d: %r", index + 1, exc)
        warnings.append(f"page {index + 1}: the text could not be extracted ({_describe(exc)})")
        return None


def _has_text_layer(text: str) -> bool:
    return _alnum(text) >= MIN_TEXT_LAYER_CHARS


def _alnum(text: str) -> int:
    return sum(c.isalnum() for c in text)


def _ocr_page(
    ocr: OcrEngine, data: bytes, index: int, password: str | None, warnings: list[str]
) -> str | None:
    """OCR text of one page, or None (with a warning) when OCR fails."""
    try:
        return ocr.ocr_pdf_page(data, index, password)
    except Exception as exc:  # an OCR failure leaves the page unread, no more
        _stop_on_limits(exc)
        logger.warning("OCR failed on page %d: %r", index + 1, exc)
        warnings.append(f"page {index + 1}: OCR failed ({_describe(exc)})")
        return None


def _stop_on_limits(exc: Exception) -> None:
    """Raise what must end the whole parse instead of being reported as damage: running out
    of memory (``parse.sandbox`` names the limit) and a pypdf safety limit (a PDF bomb)."""
    if isinstance(exc, MemoryError):
        raise exc
    if isinstance(exc, LimitReachedError):
        raise UnsupportedDocumentError(UNSAFE_REASON.format(detail=_describe(exc))) from exc


def _describe(exc: BaseException) -> str:
    """A one-line description of an exception for a reason or warning."""
    message = " ".join(str(exc).split())
    if len(message) > 200:
        message = message[:197] + "..."
    return message or type(exc).__name__
