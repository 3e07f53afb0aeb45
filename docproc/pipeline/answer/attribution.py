"""Attaching page-and-passage citations to generated text, and checking each one.

Generated text is split into statements (sentences). A statement's citations are the evidence
it marks with ``[n]``; a statement the model left unmarked is attributed to the evidence that
shares the most of its content words, and its marker is added (flagged ``inferred``). Every
citation quotes the evidence sentence closest to the statement, is located in the page text,
and is ``verified`` only if the quote occurs there and supports the statement
(``citations.statement_support``): a fabricated quote or an invented figure fails.

Citations are per statement (``Citation.statement`` indexes ``AttributedText.statements``): a
statement reusing another's marker and quote is checked on its own words, so a false claim
never borrows the verification of a true one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from docproc.pipeline.answer import relevance
from docproc.pipeline.answer.citations import content_words, locate_quote, statement_support
from docproc.pipeline.text import split_sentences
from docproc.pipeline.types import Passage

_WORD = re.compile(r"\w")
# Markers, spaces and closing quotes/brackets at the start of a sentence: they end the one before.
_CARRIED_OVER = re.compile(r"(?:\s+|[”’»)]|\[(?:doc(?:ument)?\s*)?\d{1,4}\])+", re.IGNORECASE)
_MARKER = re.compile(r"\s*\[(?:doc(?:ument)?\s*)?(\d{1,4})\]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Citation:
    marker: int
    document: int
    filename: str
    page: int
    quote: str
    char_start: int | None
    char_end: int | None
    verified: bool
    inferred: bool
    reason: str = ""
    statement: int = 0  # index into AttributedText.statements

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class AttributedText:
    text: str  # the statements joined, with inline [n] markers, n = Citation.marker
    citations: tuple[Citation, ...]
    uncited_statements: tuple[str, ...]  # statements no evidence could back at all
    statements: tuple[str, ...] = ()  # each statement of ``text``, without its markers

    @property
    def all_verified(self) -> bool:
        return bool(self.citations) and all(c.verified for c in self.citations)


_QUOTATION_MARKS = " “”\"'‘’«»"


def _best_span(statement: str, evidence: Passage) -> tuple[int, int]:
    """Span (within evidence.text) to quote: whole sentences or table rows
    (``relevance.quotable_spans``), never a fragment of one. For a statement that quotes the
    evidence (an extractive answer's do), the sentences holding the quotation; otherwise the
    sentence sharing the most of the statement's words (numbers count double: they are what
    verification checks), with the sentence next to it when that one holds words of the
    statement the best lacks (a statement drawn from two adjacent sentences)."""
    spans = relevance.quotable_spans(evidence.text) or [(0, len(evidence.text))]
    quoted = locate_quote(statement.strip(_QUOTATION_MARKS), evidence.text)
    if quoted is not None:
        around = [(a, b) for a, b in spans if a < quoted[1] and b > quoted[0]]
        return around[0][0], around[-1][1]
    words = relevance.terms(statement)
    held = [words & relevance.terms(evidence.text[a:b]) for a, b in spans]
    best = max(range(len(spans)), key=lambda i: (_weight(held[i]), -i))
    missing = words - held[best]
    neighbours = [i for i in (best - 1, best + 1) if 0 <= i < len(spans)]
    extra = max(neighbours, key=lambda i: (_weight(held[i] & missing), -i), default=None)
    if extra is not None and _weight(held[extra] & missing) >= 2:
        first, last = sorted((best, extra))
        return spans[first][0], spans[last][1]
    return spans[best]


def _weight(terms: set[str] | frozenset[str]) -> int:
    return sum(2 if any(c.isdigit() for c in t) else 1 for t in terms)


def _best_evidence(statement: str, evidence: Sequence[Passage]) -> Passage | None:
    words = content_words(statement)
    scored = [(len(words & content_words(e.text)), -e.id, e) for e in evidence]
    best = max(scored, key=lambda item: item[:2], default=None)
    return best[2] if best and best[0] > 0 else None


def _cite(
    statement: str,
    evidence: Passage,
    page_text: str | None,
    inferred: bool,
) -> Citation:
    start, end = _best_span(statement, evidence)
    quote = evidence.text[start:end]
    located = locate_quote(quote, page_text) if page_text is not None else None
    if located is None:
        return Citation(
            evidence.id, evidence.document, evidence.filename, evidence.page, quote, None, None,
            False, inferred, "the quote does not occur in the cited page",
        )  # fmt: skip
    support = statement_support(statement, [quote])
    return Citation(
        evidence.id, evidence.document, evidence.filename, evidence.page, quote,
        located[0], located[1], support.supported, inferred, support.reason,
    )  # fmt: skip


def strip_markers(text: str) -> str:
    """``text`` without its ``[n]`` markers (for text whose markers name something else)."""
    return _MARKER.sub("", text)


def attribute(
    text: str,
    evidence: Sequence[Passage],
    page_texts: Mapping[tuple[int, int], str],
) -> AttributedText:
    """Cite every statement of ``text`` against ``evidence``; ``page_texts`` maps
    (document, page) to that page's full text, the ground truth for verification."""
    by_id = {e.id: e for e in evidence}
    citations: list[Citation] = []
    uncited: list[str] = []
    parts: list[str] = []
    statements: list[str] = []
    for statement, marked in _marked_statements(text):
        index = len(statements)
        statements.append(statement)
        inferred = not marked
        if inferred:
            best = _best_evidence(statement, evidence)
            marked = [best.id] if best else []
        if not marked:
            uncited.append(statement)
            parts.append(statement)
            continue
        for marker in dict.fromkeys(marked):
            item = by_id.get(marker)
            if item is None:
                citations.append(
                    Citation(marker, 0, "", 0, "", None, None, False, False,
                             "cites a passage that was not provided", index)
                )  # fmt: skip
                continue
            citation = _cite(statement, item, page_texts.get((item.document, item.page)), inferred)
            citations.append(replace(citation, statement=index))
        trailing = statement[-1] if statement[-1] in ".!?" else ""
        body = statement[:-1] if trailing else statement
        parts.append(body + "".join(f" [{m}]" for m in dict.fromkeys(marked)) + trailing)
    return AttributedText(" ".join(parts), tuple(citations), tuple(uncited), tuple(statements))


def _marked_statements(text: str) -> list[tuple[str, list[int]]]:
    """The statements of ``text`` (markers removed), each with the markers it carries. What a
    sentence splitter leaves at the start of the next sentence, or alone, before any word
    (markers after the full stop, a closing quotation mark: '… of receipt.” [1]',
    '… are paid. [2] Next…'), belongs to the statement before it."""
    found: list[tuple[str, list[int]]] = []
    for start, end in split_sentences(text):
        sentence = text[start:end]
        prefix = _CARRIED_OVER.match(sentence)
        if prefix and found:
            carried = prefix.group(0)
            previous, previous_marked = found[-1]
            closing = _MARKER.sub("", carried).strip()
            markers = [int(m) for m in _MARKER.findall(carried)]
            found[-1] = (previous + closing, previous_marked + markers)
            sentence = sentence[prefix.end() :]
        marked = [int(m) for m in _MARKER.findall(sentence)]
        statement = _MARKER.sub("", sentence).strip()
        if _WORD.search(statement):
            found.append((statement, marked))
        elif found:
            previous, previous_marked = found[-1]
            found[-1] = (previous + statement, previous_marked + marked)
    return found
