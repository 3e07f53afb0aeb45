"""Structural blocks of a page's text (headings, list items, paragraphs), shared by every parser,
so that the blocks of the same page text are always the same."""

from __future__ import annotations

import re

from docproc.pipeline.types import Block

_MAX_HEADING_CHARS = 80
_MAX_HEADING_WORDS = 10
_SENTENCE_END = re.compile(r"[.!?:][\"'”’)\]]*$")
_NO_HEADING_END = re.compile(r"[.,;:!?]$")
_LIST_ITEM = re.compile(r"^(?:[•◦▪‣●○■□–—*-]|\(?[a-z0-9]{1,3}\))\s+\S")
_NUMBERED = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[A-Z]\.|[IVXLC]+\.)\s+(?P<rest>\S.*)$")
_KEYWORD = re.compile(
    r"^(?:section|article|chapter|part|schedule|exhibit|appendix|annex|clause)\s+"
    r"(?:\d+(?:\.\d+)*|[IVXLC]+|[A-Z])\b[.:\s–—-]*(?P<rest>.*)$",
    re.IGNORECASE,
)
_MINOR_WORDS = frozenset(
    "a an and as at but by for from in into of on or per the to via vs with".split()
)


def text_blocks(text: str) -> tuple[Block, ...]:
    """Split a page's text into heading, list-item and paragraph blocks.

    Paragraphs are separated by blank lines; when the text has none (as pypdf's output rarely
    does), a line ending a sentence followed by a line starting with a capital or digit starts
    a new paragraph. A short line that looks like a heading, where a block may start, is a
    heading block of its own. Deterministic, and ``text[b.char_start:b.char_end]`` is always
    the block's text without surrounding whitespace.
    """
    builder = _BlockBuilder(has_blank_lines=bool(re.search(r"\n[^\S\n]*\n", text)))
    offset = 0
    for line in text.split("\n"):
        builder.add_line(line, offset)
        offset += len(line) + 1
    return builder.finish()


class _BlockBuilder:
    """Accumulates lines into blocks; see ``text_blocks``."""

    def __init__(self, *, has_blank_lines: bool) -> None:
        self.has_blank_lines = has_blank_lines
        self.blocks: list[Block] = []
        self.kind: str | None = None
        self.start = 0
        self.end = 0
        self.previous = ""

    def add_line(self, line: str, offset: int) -> None:
        content = line.strip()
        if not content:
            self._close()
            return
        start = offset + len(line) - len(line.lstrip())
        end = offset + len(line.rstrip())
        if self.kind is not None and self._continues(content):
            self.end = end
        else:
            self._close()
            self.kind = _line_kind(content)
            self.start, self.end = start, end
        self.previous = content

    def finish(self) -> tuple[Block, ...]:
        self._close()
        return tuple(self.blocks)

    def _continues(self, content: str) -> bool:
        """Whether a line belongs to the open block rather than starting a new one."""
        if self.kind == "heading":
            if content[0].islower():  # "Admitted with" / "pneumonia." was a sentence, not a title
                self.kind = "paragraph"
                return True
            return False
        if _LIST_ITEM.match(content):
            return False
        after_sentence = _SENTENCE_END.search(self.previous) is not None
        if after_sentence and looks_like_heading(content):
            return False
        if not self.has_blank_lines and after_sentence and _starts_sentence(content):
            return False
        return True

    def _close(self) -> None:
        if self.kind is not None:
            self.blocks.append(Block(self.kind, self.start, self.end))
        self.kind = None
        self.previous = ""


def _line_kind(content: str) -> str:
    if looks_like_heading(content):
        return "heading"
    if _LIST_ITEM.match(content):
        return "list_item"
    return "paragraph"


def _starts_sentence(content: str) -> bool:
    first = content.lstrip("\"'“‘([")[:1]
    return first.isupper() or first.isdigit()


def looks_like_heading(line: str) -> bool:
    """A short line without terminal punctuation that reads as a title: numbered ("1.
    Definitions"), a section keyword ("SECTION 4 TERM"), ALL CAPS, or Title Case ("Discharge
    Diagnosis")."""
    line = line.strip()
    if not line or len(line) > _MAX_HEADING_CHARS or _NO_HEADING_END.search(line):
        return False
    if len(line.split()) > _MAX_HEADING_WORDS or not any(c.isalpha() for c in line):
        return False
    if not (line[0].isupper() or line[0].isdigit()):
        return False
    for pattern in (_NUMBERED, _KEYWORD):
        match = pattern.match(line)
        if match:
            rest = match.group("rest")
            return not rest or len(rest.split()) <= 4 or _is_title_like(rest)
    return _is_title_like(line)


def _is_title_like(text: str) -> bool:
    """ALL CAPS, or every word but minor ones capitalised."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return True
    words = [w.strip("\"'“”‘’()[],&/") for w in text.split()]
    words = [w for w in words if w and w[0].isalpha()]
    if not words or not words[0][0].isupper() or words[-1].lower() in _MINOR_WORDS:
        return False
    return all(w[0].isupper() or w.lower() in _MINOR_WORDS for w in words)
