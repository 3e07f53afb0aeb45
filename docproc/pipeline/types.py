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
