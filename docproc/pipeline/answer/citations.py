"""Checking what the model says against the page text it cites.

A quote is *found* when, after Unicode, whitespace, case, quote-mark and dash normalisation
(``text.normalize_for_comparison``), it occurs in the cited page's text; its span is then
mapped back to offsets in the original page text. A statement is *supported* by its quotes
when every number it states occurs in them and enough of its content words (words not in
``text.STOPWORDS``) do. Both checks are deterministic and explainable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from docproc.pipeline.text import (
    STOPWORDS,
    normalize_for_comparison,
    normalize_for_comparison_with_offsets,
)

_WORD = re.compile(r"[^\W_]+(?:[.,'/-][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
MIN_QUOTE_CHARS = 8
SUPPORT_THRESHOLD = 0.5
# Words that turn a sentence into its opposite. "not", "no" and "nor" are stop words, left out
# of the word share, so the share alone cannot tell "may sublet" from "may not sublet"; the
# negation check can.
_NEGATIONS = frozenset("not no never neither nor cannot without none nothing nobody".split())
_PLAIN_WORD = re.compile(r"[a-z]+(?:'t)?")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")


def locate_quote(quote: str, page_text: str) -> tuple[int, int] | None:
    """The (char_start, char_end) of ``quote`` in ``page_text`` after normalisation, or None
    when it does not occur there (or is too short to mean anything)."""
    haystack, origin = normalize_for_comparison_with_offsets(page_text)
    # Try the quote as given first, then without the punctuation a model adds or drops.
    for needle in (
        normalize_for_comparison(quote).strip(),
        normalize_for_comparison(quote).strip(" .,;:\"'"),
    ):
        if len(needle) < MIN_QUOTE_CHARS:
            return None
        at = haystack.find(needle)
        if at >= 0:
            break
    else:
        return None
    return origin[at], origin[at + len(needle) - 1] + 1


def content_words(text: str) -> set[str]:
    return {
        w
        for w in _WORD.findall(normalize_for_comparison(text))
        if w not in STOPWORDS and len(w) > 1
    }


def numbers(text: str) -> set[str]:
    """Numbers as written, without thousands separators ("1,250,000" == "1250000")."""
    return {n.replace(",", "") for n in _NUMBER.findall(normalize_for_comparison(text))}


@dataclass(frozen=True, slots=True)
class Support:
    supported: bool
    reason: str


_NAME = re.compile(r"(?<![\w.])([A-Z][\w-]*)")


def _names(statement: str) -> set[str]:
    """Capitalised words other than a sentence's first: names, defined terms, identifiers. An
    invented party, drug or court is a name the cited text does not contain."""
    found = set()
    for sentence in re.split(r"(?<=[.!?])\s+", statement.strip()):
        for match in list(_NAME.finditer(sentence))[1:]:
            word = normalize_for_comparison(match.group(1)).strip("-")
            if word and word not in STOPWORDS and len(word) > 1:
                found.add(word)
    return found


def _negated(text: str) -> bool:
    return any(
        word in _NEGATIONS or word.endswith("n't")
        for word in _PLAIN_WORD.findall(normalize_for_comparison(text))
    )


def _closest_sentence(statement: str, evidence: str) -> str:
    """The sentence of ``evidence`` sharing the most content words with ``statement``."""
    words = content_words(statement)
    sentences = [s for s in _SENTENCE_END.split(evidence) if s.strip()] or [evidence]
    return max(sentences, key=lambda sentence: len(words & content_words(sentence)))


def statement_support(statement: str, quotes: Sequence[str]) -> Support:
    """Whether ``quotes`` back ``statement``: every number and every name (capitalised word) in
    it occurs in them, at least half its content words do, and it is negated ("not", "no",
    "never", "-n't"...) exactly when the quoted sentence closest to it is. A weak model that
    invents a figure or a party, or turns "may" into "may not", fails here. A paraphrase of a
    negation ("prohibited" for "not allowed") fails too: unverified, never wrongly verified."""
    evidence = " ".join(quotes)
    missing_numbers = numbers(statement) - numbers(evidence)
    if missing_numbers:
        listed = ", ".join(sorted(missing_numbers))
        return Support(False, f"numbers not in the cited text: {listed}")
    # A name counts where it starts a word of the evidence: "I21" of the code "I21.4." is there.
    folded = normalize_for_comparison(evidence)
    names = {
        n
        for n in _names(statement) - content_words(evidence)
        if not re.search(rf"(?<!\w){re.escape(n)}", folded)
    }
    if names:
        return Support(False, f"names not in the cited text: {', '.join(sorted(names))}")
    words = content_words(statement)
    if not words:
        return Support(True, "")
    evidence_words = content_words(evidence)
    share = len(words & evidence_words) / len(words)
    if share < SUPPORT_THRESHOLD:
        return Support(False, f"only {share:.0%} of the statement's words are in the cited text")
    # Clause by clause: "...to the mid LAD; no complications." is negated in its second
    # clause only, and so is the quote it was copied from.
    clauses = [c for c in _SENTENCE_END.split(statement) if content_words(c)] or [statement]
    if any(_negated(c) != _negated(_closest_sentence(c, evidence)) for c in clauses):
        return Support(False, "the statement and the cited text differ in negation")
    return Support(True, "")


def value_in_quote(value: object, quote: str) -> bool:
    """Whether an extracted value occurs in its own quote (numbers compared without separators,
    text after normalisation)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        digits = f"{value:f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
        return digits.lstrip("-") in numbers(quote) or str(value) in normalize_for_comparison(quote)
    text = normalize_for_comparison(str(value)).strip(" .,;:")
    if not text:
        return False
    if text in normalize_for_comparison(quote):
        return True
    value_numbers = numbers(text)
    return (
        bool(value_numbers)
        and value_numbers <= numbers(quote)
        and (content_words(text) - content_words(quote) <= value_numbers)
    )
