"""The dataclasses the pipeline stages exchange, and the errors they raise."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Block:
    """A structural unit of one page's text: a heading, paragraph, list item or table.

    ``char_start``/``char_end`` index into the page text, so ``page_text[char_start:char_end]``
    is the block's text.
    """

    kind: str  # "heading" | "paragraph" | "list_item" | "table"
    char_start: int
    char_end: int


@dataclass(frozen=True, slots=True)
class PageText:
    """The text of one page (1-based ``number``), with optional structural blocks and the way
    the text was obtained ("text" layer, "ocr", or "none" when no text could be had)."""

    number: int
    text: str
    blocks: tuple[Block, ...] = ()
    source: str = "text"


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """Everything parsing produces: pages in order, plus warnings a person may want to see."""

    pages: tuple[PageText, ...]
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class PageSpan:
    """A passage of one page, bounded in the embedding model's word pieces: what the chunk stage
    cuts (stored as a ``models.Chunk`` row).

    ``text == page_text[char_start:char_end]`` always holds, so a chunk can be cited exactly.
    """

    ordinal: int
    page: int
    char_start: int
    char_end: int
    text: str
    token_count: int


@dataclass(frozen=True, slots=True)
class Passage:
    """A stretch of one page's text of one document, from retrieval to prompt to citation.

    ``page_text[char_start:char_end] == text``, so whatever cites a passage can be checked
    against its page. Retrieval sets ``score`` (higher is better; scores of different
    retrievers are not comparable) and ``chunk``, the stored chunk it is or lies in. Preparing
    a prompt numbers the passages it keeps with ``id`` from 1: what the model's ``[n]``
    markers name (0 until then).
    """

    chunk: int
    document: int
    filename: str
    page: int
    char_start: int
    char_end: int
    text: str
    score: float = 0.0
    id: int = 0

    def as_hit(self) -> dict[str, int | float | str]:
        """The passage as a search result (the API's and the audit's shape)."""
        return {
            "document": self.document,
            "filename": self.filename,
            "page": self.page,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "score": self.score,
            "text": self.text,
            "chunk": self.chunk,
        }


class DocumentError(Exception):
    """A document cannot be processed as it is; ``reason`` is for a person to act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedDocumentError(DocumentError):
    """The bytes are not a type we accept, or are corrupt, empty or unreadable."""


NO_TEXT_REASON = "No text could be extracted from this document."


class PasswordRequiredError(DocumentError):
    """The document is encrypted and no (or a wrong) password was supplied."""


class TransientError(Exception):
    """A failure worth retrying (a lock held elsewhere, a service briefly unavailable)."""
