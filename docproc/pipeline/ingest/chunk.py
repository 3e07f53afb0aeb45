"""Split parsed pages into passages bounded in the embedding model's word pieces.

Chunks follow the document's structure: blocks from the parser when it gives them (else
paragraphs separated by blank lines) are packed whole, a block too long is split into
sentences (``text.split_sentences``), and a sentence too long is cut at word-piece boundaries.
A heading opens a new chunk and stays with the text after it. Each further chunk on a page
repeats the last whole sentence(s) of the one before, so a passage cut in two can still be
found from either side.

Every chunk is a trimmed slice of one page's text, so it can be cited exactly, and no chunk ever
holds more word pieces than asked for: the embedder would otherwise drop its tail silently.
The stage is pure and deterministic, which keeps re-running the pipeline idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from docproc.pipeline.text import Span, split_sentences, trim_span
from docproc.pipeline.types import PageSpan, PageText
from docproc.pipeline.wordpieces import MAX_CONTENT_WORD_PIECES, WordPieceCounter

HEADING = "heading"
PARAGRAPH = "paragraph"
TABLE = "table"

# The fewest word pieces a window may be cut to. One character yields up to three pieces (a
# Hangul syllable gives its jamo), so a smaller window could not always hold even one character.
MIN_WINDOW_WORD_PIECES = 8

# A blank line (possibly holding spaces or tabs) separates paragraphs of unstructured text.
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")


def chunk_pages(
    pages: Sequence[PageText],
    counter: WordPieceCounter,
    *,
    max_tokens: int = 200,
    overlap_tokens: int = 32,
) -> list[PageSpan]:
    """Chunk ``pages`` (in the order given) into passages of at most ``max_tokens`` word pieces.

    Each further chunk on a page starts with trailing whole sentences of the previous chunk
    totalling at most ``overlap_tokens`` word pieces, unless it starts with a heading.
    Raises ``ValueError`` when ``max_tokens`` is outside ``MIN_WINDOW_WORD_PIECES``..
    ``MAX_CONTENT_WORD_PIECES`` or ``overlap_tokens`` is negative.
    """
    if not MIN_WINDOW_WORD_PIECES <= max_tokens <= MAX_CONTENT_WORD_PIECES:
        raise ValueError(
            f"max_tokens must be between {MIN_WINDOW_WORD_PIECES} and {MAX_CONTENT_WORD_PIECES}"
            f" (the embedding model's limit less [CLS]/[SEP]), got {max_tokens}"
        )
    if overlap_tokens < 0:
        raise ValueError(f"overlap_tokens must not be negative, got {overlap_tokens}")
    chunks: list[PageSpan] = []
    for page in pages:
        packer = _PagePacker(page.text, counter, max_tokens, overlap_tokens)
        packer.add_segments(page_segments(page))
        for start, end, count in packer.spans():
            chunks.append(
                PageSpan(
                    ordinal=len(chunks),
                    page=page.number,
                    char_start=start,
                    char_end=end,
                    text=page.text[start:end],
                    token_count=count,
                )
            )
    return chunks


def page_segments(page: PageText) -> list[tuple[str, int, int]]:
    """The page's structural segments ``(kind, start, end)`` in text order, trimmed.

    Blocks are used when the parser gave any; text no block covers becomes paragraphs, so
    nothing is lost to an incomplete block list. Without blocks, blank lines split paragraphs.
    """
    text = page.text
    segments: list[tuple[str, int, int]] = []
    cursor = 0
    for block in sorted(page.blocks, key=lambda b: (b.char_start, b.char_end)):
        start, end = max(block.char_start, cursor), min(block.char_end, len(text))
        segments += [(PARAGRAPH, s, e) for s, e in _paragraphs(text, cursor, start)]
        span = trim_span(text, start, end)
        if span is not None:
            segments.append((block.kind, *span))
        cursor = max(cursor, end)
    segments += [(PARAGRAPH, s, e) for s, e in _paragraphs(text, cursor, len(text))]
    return segments


def _paragraphs(text: str, start: int, end: int) -> list[Span]:
    """Trimmed spans of ``text[start:end]`` separated by blank lines."""
    spans: list[Span] = []
    cursor = start
    for match in _BLANK_LINE.finditer(text, start, end):
        spans += _optional(trim_span(text, cursor, match.start()))
        cursor = match.end()
    spans += _optional(trim_span(text, cursor, end))
    return spans


def _lines(text: str, start: int, end: int) -> list[Span]:
    """Trimmed, non-blank lines of ``text[start:end]`` (rows of a table, lines of a list)."""
    spans: list[Span] = []
    cursor = start
    while cursor < end:
        newline = text.find("\n", cursor, end)
        stop = end if newline == -1 else newline
        spans += _optional(trim_span(text, cursor, stop))
        cursor = stop + 1
    return spans


def _optional(span: Span | None) -> list[Span]:
    return [] if span is None else [span]


def _windows(
    text: str, start: int, end: int, counter: WordPieceCounter, first_limit: int, limit: int
) -> list[tuple[int, int, int]]:
    """Cut ``text[start:end]`` into consecutive trimmed ``(start, end, count)`` windows.

    The first window holds at most ``first_limit`` word pieces, the rest at most ``limit``
    (both at least ``MIN_WINDOW_WORD_PIECES``, since one character can yield several pieces).
    Cuts fall on word-piece boundaries, preferably where a word starts. The text is tokenised
    once; each window is counted again because a word cut in two can re-tokenise differently.
    """
    offsets = [(start + a, start + b) for a, b in counter.offsets(text[start:end])]
    result: list[tuple[int, int, int]] = []
    cursor, piece, cap = start, 0, first_limit
    while piece < len(offsets):
        stop = _cut_piece(offsets, piece, cap)
        window = _fitting_window(text, cursor, end, offsets, piece, stop, counter, cap)
        if window is None:
            # No cut between word pieces fits (a piece re-tokenised alone grows): use characters.
            return [
                *result,
                *_character_windows(text, cursor, end, offsets[piece][1], counter, cap, limit),
            ]
        stop, span_start, span_end, count = window
        result.append((span_start, span_end, count))
        cursor, piece, cap = _cut_at(offsets, stop, end), stop, limit
    return result


def _fitting_window(
    text: str,
    cursor: int,
    end: int,
    offsets: list[Span],
    piece: int,
    stop: int,
    counter: WordPieceCounter,
    cap: int,
) -> tuple[int, int, int, int] | None:
    """``(stop, start, end, count)`` of the longest window from ``cursor`` ending before piece
    ``stop`` or earlier whose exact count is within ``cap``; None if none is."""
    while stop > piece:
        span = trim_span(text, cursor, _cut_at(offsets, stop, end))
        if span is not None:
            count = counter.count(text[span[0] : span[1]])
            if count <= cap:
                return stop, span[0], span[1], count
        stop = _char_boundary(offsets, stop - 1, piece)
    return None


def _cut_at(offsets: list[Span], stop: int, end: int) -> int:
    """The character where a window ending before word piece ``stop`` is cut."""
    return offsets[stop][0] if stop < len(offsets) else end


def _char_boundary(offsets: list[Span], stop: int, floor: int) -> int:
    """``stop`` moved back, no lower than ``floor``, off pieces that share a character.

    One character can yield several word pieces (a Hangul syllable gives its jamo), all with
    that character's span; a cut between them would fall inside the character.
    """
    while stop > floor and stop < len(offsets) and offsets[stop][0] < offsets[stop - 1][1]:
        stop -= 1
    return stop


def _cut_piece(offsets: list[Span], piece: int, cap: int) -> int:
    """Index of the first word piece after a window starting at ``piece`` of ``cap`` pieces.

    Prefers a piece that starts a word (a gap before it), as long as the window keeps at least
    half its room; otherwise cuts at ``cap`` pieces (inside a URL, a number or a CJK run).
    """
    stop = min(piece + cap, len(offsets))
    if stop == len(offsets):
        return stop
    for candidate in range(stop, piece + max(1, cap // 2), -1):
        if offsets[candidate][0] > offsets[candidate - 1][1]:
            return candidate
    return _char_boundary(offsets, stop, piece + 1)


def _character_windows(
    text: str,
    start: int,
    end: int,
    piece_end: int,
    counter: WordPieceCounter,
    first_limit: int,
    limit: int,
) -> list[tuple[int, int, int]]:
    """Windows whose first is the longest prefix of ``text[start:piece_end]``, cut at a
    character, within ``first_limit`` word pieces; the rest of ``text[:end]`` follows."""
    cut = max(piece_end, start + 1)
    while cut > start + 1 and counter.count(text[start:cut]) > first_limit:
        cut -= 1
    result = []
    if (head := trim_span(text, start, cut)) is not None:
        result.append((*head, counter.count(text[head[0] : head[1]])))
    if (rest := trim_span(text, cut, end)) is not None:
        result += _windows(text, rest[0], rest[1], counter, limit, limit)
    return result


@dataclass(frozen=True, slots=True)
class _Unit:
    """The smallest piece packed into chunks: a sentence, table row, heading or window."""

    start: int
    end: int
    count: int
    segment: int
    heading: bool
    whole: bool  # a whole sentence/row/heading, so it may be repeated as overlap


class _PagePacker:
    """Packs one page's units greedily into chunk spans; see ``chunk_pages``."""

    def __init__(
        self, text: str, counter: WordPieceCounter, max_tokens: int, overlap_tokens: int
    ) -> None:
        self.text = text
        self.counter = counter
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens
        self.units: list[_Unit] = []
        self.segment_counts: list[int] = []

    def add_segments(self, segments: list[tuple[str, int, int]]) -> None:
        """Split each segment into units no longer than ``max_tokens`` and record its count."""
        for index, (kind, start, end) in enumerate(segments):
            if kind == HEADING:
                pieces = [(start, end)]
            elif kind == TABLE:
                pieces = _lines(self.text, start, end)
            else:
                pieces = split_sentences(self.text, start, end)
            units = [
                _Unit(s, e, count, index, kind == HEADING, whole)
                for piece_start, piece_end in pieces
                for s, e, count, whole in self._bounded(piece_start, piece_end)
            ]
            self.units += units
            # Word pieces never straddle whitespace, so a segment counts as its units' sum.
            self.segment_counts.append(sum(unit.count for unit in units))

    def _bounded(self, start: int, end: int) -> list[tuple[int, int, int, bool]]:
        """``text[start:end]`` as one whole unit if it fits, else lines, else windows."""
        count = self.counter.count(self.text[start:end])
        if count <= self.max_tokens:
            return [(start, end, count, True)]
        parts = _lines(self.text, start, end)
        if len(parts) > 1:
            return [(s, e, c, False) for part in parts for s, e, c, _ in self._bounded(*part)]
        cap = self.max_tokens
        return [
            (s, e, c, False) for s, e, c in _windows(self.text, start, end, self.counter, cap, cap)
        ]

    def spans(self) -> list[tuple[int, int, int]]:
        """``(char_start, char_end, token_count)`` of each chunk of the page, in order."""
        result: list[tuple[int, int, int]] = []
        first, previous_start = 0, None
        while first < len(self.units):
            overlap_start = self._overlap_start(previous_start, first)
            room = self.max_tokens - sum(u.count for u in self.units[overlap_start:first])
            end = self._fill(first, room)
            overlap_start, end, count = self._verified(overlap_start, first, end)
            result.append((self.units[overlap_start].start, self.units[end - 1].end, count))
            previous_start, first = overlap_start, end
        return result

    def _overlap_start(self, previous_start: int | None, first: int) -> int:
        """Index of the first unit repeated from the previous chunk (``first`` if none).

        Takes trailing whole units within ``overlap_tokens``, leaving room for the chunk's
        first item; none for a page's first chunk or one opening with a heading (a new section).
        """
        if previous_start is None or self.units[first].heading:
            return first
        budget = min(self.overlap_tokens, self.max_tokens - self._first_item_count(first))
        start, total = first, 0
        while start > previous_start:
            unit = self.units[start - 1]
            if not unit.whole or total + unit.count > budget:
                break
            start, total = start - 1, total + unit.count
        return start

    def _first_item_count(self, first: int) -> int:
        """Word pieces a chunk starting at unit ``first`` must hold: its paragraph if whole."""
        if self._starts_segment(first):
            segment_count = self.segment_counts[self.units[first].segment]
            if segment_count <= self.max_tokens:
                return segment_count
        return self.units[first].count

    def _fill(self, first: int, room: int) -> int:
        """End index of the units packed from ``first`` within ``room`` word pieces.

        Whole segments are packed while they fit; a segment too long for any chunk is packed
        sentence by sentence. A heading ends the chunk before it, unless only headings precede
        it; text after a heading is cut to fit rather than leave the heading last.
        """
        index, total, only_headings = first, 0, True
        while index < len(self.units):
            unit = self.units[index]
            started = index > first
            if unit.heading and started and not only_headings:
                break
            if self._starts_segment(index):
                segment_count = self.segment_counts[unit.segment]
                if segment_count <= self.max_tokens:
                    if total + segment_count <= room:
                        total += segment_count
                        only_headings = only_headings and unit.heading
                        index = self._segment_end(index)
                        continue
                    if started and not only_headings:
                        break
            if total + unit.count <= room or not started:
                total += unit.count
                only_headings = only_headings and unit.heading
                index += 1
                continue
            if self.units[index - 1].heading and room - total >= MIN_WINDOW_WORD_PIECES:
                self._split_unit(index, room - total)
                index += 1
            break
        return index

    def _starts_segment(self, index: int) -> bool:
        return index == 0 or self.units[index - 1].segment != self.units[index].segment

    def _segment_end(self, index: int) -> int:
        segment = self.units[index].segment
        while index < len(self.units) and self.units[index].segment == segment:
            index += 1
        return index

    def _split_unit(self, index: int, room: int) -> None:
        """Replace unit ``index`` by windows, the first holding at most ``room`` word pieces."""
        unit = self.units[index]
        cut = _windows(self.text, unit.start, unit.end, self.counter, room, self.max_tokens)
        self.units[index : index + 1] = [
            _Unit(s, e, count, unit.segment, unit.heading, False) for s, e, count in cut
        ]

    def _verified(self, overlap_start: int, first: int, end: int) -> tuple[int, int, int]:
        """Count the chunk's exact text once; shed overlap, then trailing units, until it fits.

        Summed unit counts are exact whenever units are separated by whitespace; this guards
        the rare text where they are not (a word cut into windows, control characters).
        """
        while True:
            start, stop = self.units[overlap_start].start, self.units[end - 1].end
            count = self.counter.count(self.text[start:stop])
            if count <= self.max_tokens or (overlap_start == first and end == first + 1):
                return overlap_start, end, count
            if overlap_start < first:
                overlap_start += 1
            else:
                end -= 1
                while end > first + 1 and self.units[end - 1].heading:
                    end -= 1
