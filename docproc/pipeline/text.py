"""Text handling shared by both flows: one canonical form, one sentence rule, and what matching
folds and ignores.

- ``normalize_text`` is the canonical form of extracted text. Every parser and OCR pass ends in
  it, so the page text stored for the same bytes is always the same string (chunk offsets and
  idempotent re-runs rely on it).
- ``split_sentences`` cuts stored text into sentence spans by one deterministic rule; chunking,
  quoting, attribution, summaries and extraction all cut sentences with it.
- ``normalize_for_search`` is text as BM25 (``answer/lexical.py``) reads it, query and passage
  alike: whitespace is left alone for its tokenizer to split on.
- ``normalize_for_comparison`` is text as the citation checks (``answer/citations.py``) compare
  it, a quote against its page: whitespace runs become one space and ``_with_offsets`` maps each
  character back to the page, so a match can be cited at the page's own offsets.
- Both fold typographic quotes and dashes by the one ``TYPOGRAPHIC_FOLDS`` table (BM25 by part
  of it, see ``_SEARCH_FOLDS``), and both ignore the one ``STOPWORDS`` list: BM25 does not index
  them, the citation checks count them neither as content words nor as names.
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


# Matching: what both BM25 and the citation checks fold and ignore

# Typographic quotes, dashes and spaces, and the plain character matching reads each as, so
# that text typed with straight quotes and hyphens matches a page's curly quotes and dashes.
TYPOGRAPHIC_FOLDS = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2212": "-", "\u00a0": " ", "\u00ad": "",
    }
)  # fmt: skip
# BM25 folds only the curly single quotes, hyphens, en and em dashes of the table. The rest
# would change which words its index joins: a low quote, figure dash or minus sign inside a word
# ("ACC−00931") would join it into one compound term, a soft hyphen would join two halves of a
# word. That is a change to search results, to be measured with bench/retrieval_recall.py
# before it is made. (Curly double quotes and the no-break space make no difference to BM25.)
_SEARCH_FOLDS = {ord(c): TYPOGRAPHIC_FOLDS[ord(c)] for c in "\u2018\u2019\u2010\u2011\u2013\u2014"}

# Common English function words. BM25 does not index them; the citation checks count neither
# them as a statement's content words nor their capitalised forms as names.
STOPWORDS = frozenset(
    """
    a about above after again all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves
    """.split()
)


def normalize_for_search(text: str) -> str:
    """``text`` as BM25 reads it: NFKC, lowercased, curly single quotes and dashes folded
    (see ``_SEARCH_FOLDS``); whitespace is left alone."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text if text.isascii() else text.translate(_SEARCH_FOLDS)


def normalize_for_comparison(text: str) -> str:
    """``text`` as the citation checks compare it: NFKC, typographic characters folded
    (``TYPOGRAPHIC_FOLDS``), casefolded, each run of whitespace one space, none at either end."""
    return normalize_for_comparison_with_offsets(text)[0]


def normalize_for_comparison_with_offsets(text: str) -> tuple[str, list[int]]:
    """``normalize_for_comparison(text)`` and, for each of its characters, the index of the
    character of ``text`` it came from (so a match can be mapped back to the page's offsets)."""
    out: list[str] = []
    origin: list[int] = []
    pending_space = False
    for index, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch).translate(TYPOGRAPHIC_FOLDS).casefold()
        for piece in folded:
            if piece.isspace():
                pending_space = bool(out)
                continue
            if pending_space:
                out.append(" ")
                origin.append(index)
                pending_space = False
            out.append(piece)
            origin.append(index)
    return "".join(out), origin
