"""Text handling shared by both flows: the canonical form of extracted text and sentences.

- ``normalize_text`` is the canonical form of extracted text. Every parser and OCR pass ends in
  it, so the page text stored for the same bytes is always the same string (chunk offsets and
  idempotent re-runs rely on it).
- ``split_sentences`` cuts stored text into sentence spans by one deterministic rule; chunking,
  quoting, attribution, summaries and extraction all cut sentences with it.
"""

from __future__ import annotations

import re
import unicodedata

Span = tuple[int, int]

_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# NUL and other control characters (tab and newline kept), and lone surrogates, which a broken
# font map can produce and which PostgreSQL and UTF-8 cannot store.
_UNWANTED = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_TRAILING_SPACE = re.compile(r"[^\S\n]+$", re.MULTILINE)


def normalize_text(text: str) -> str:
    """Canonical form of extracted text: NFC, ``\\n`` line breaks, no control characters, no
    trailing spaces on a line, no blank lines at either end. A pure function of its input."""
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _UNWANTED.sub("", text)
    text = _TRAILING_SPACE.sub("", text)
    return text.strip("\n")


# Sentences

# Latin terminators count only when whitespace follows (so "4.2(b)" and "3.14" never end a
# sentence); CJK terminators end a sentence where they stand. Closing quotes/brackets stay.
_SENTENCE_END = re.compile(r"(?P<latin>[.!?]+)[\"'’”»)\]]*(?=\s)|[。！？]+[\"'’”」』）)]*")
_OPENING_PUNCTUATION = "(\"'“‘[«"
# "e.g.", "i.e.", "U.S.", "a.m." and initials such as "J." (compared lowercased).
_INITIALISM = re.compile(r"(?:[a-z]\.)+")
# "1." "4.2." "iv." "(a)." opening a sentence number an item; they do not end one.
_ENUMERATOR = re.compile(r"\(?(?:\d+(?:\.\d+)*|[ivxlcdm]+|[a-z])\)?\.")
_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "mx", "dr", "prof", "rev", "hon", "sr", "jr", "st", "esq", "messrs",
        "inc", "ltd", "co", "corp", "llc", "llp", "plc", "bros", "no", "nos", "vs", "v", "cf",
        "al", "approx", "dept", "est", "viz", "ca", "gen", "gov", "sen", "rep", "capt", "lt",
        "col", "sgt", "mt", "ft",
    }
)  # fmt: skip
# Abbreviations that end sentences too often to trust, unless a number follows ("Art. 5").
_NUMBER_ABBREVIATIONS = frozenset(
    {
        "art", "fig", "figs", "pp", "sec", "secs", "vol", "ch", "para", "paras", "ex", "exh",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    }
)  # fmt: skip


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Trimmed sentence spans of ``text[start:end]``, found by a deterministic rule.

    A sentence ends at ``.``, ``!`` or ``?`` followed by whitespace and a character that is
    not lowercase, except after an abbreviation ("e.g.", "Mr.", "Inc.", "U.S.", "No.") or an
    item number opening the sentence ("4.2."); CJK ``。！？`` always end one.
    """
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if match.group("latin") is not None and not _ends_sentence(text, cursor, end, match):
            continue
        if (span := trim_span(text, cursor, match.end())) is not None:
            spans.append(span)
        cursor = match.end()
    if (span := trim_span(text, cursor, end)) is not None:
        spans.append(span)
    return spans


def trim_span(text: str, start: int, end: int) -> Span | None:
    """``(start, end)`` narrowed past leading and trailing whitespace; None if nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _ends_sentence(text: str, start: int, end: int, match: re.Match[str]) -> bool:
    """Whether a Latin terminator ``match`` ends the sentence begun at ``start``."""
    following = trim_span(text, match.end(), end)
    if following is None:
        return True
    next_char = text[following[0]]
    if next_char.islower():
        return False
    if match.group("latin") != ".":
        return True
    word_start = match.start()
    while word_start > start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start : match.end("latin")].lower().lstrip(_OPENING_PUNCTUATION)
    return not _is_abbreviation(word, next_char, trim_span(text, start, word_start) is None)


def _is_abbreviation(word: str, next_char: str, starts_sentence: bool) -> bool:
    """Whether ``word`` (lowercased, ending in its period) abbreviates rather than ends."""
    stem = word[:-1]
    if stem in _ABBREVIATIONS or _INITIALISM.fullmatch(word):
        return True
    if stem in _NUMBER_ABBREVIATIONS and next_char.isdigit():
        return True
    return starts_sentence and _ENUMERATOR.fullmatch(word) is not None
