"""Search hits with the query's words marked: HTML-escaped text with ``<mark>`` around each match.

A hit's text is a document's, so it is untrusted: every piece of it is escaped here and the only
markup added is ``<mark>``, which is why the result may be marked safe. A word matches when it
is one of the query's words, ignoring case and a plural "s" (the lexical search's own stemmer
and stop words, so what is marked is what that search matches on). Query tokens that join
words with punctuation ("4.2(b)", "ACC-00931", "1,250,000") are matched whole. Matches that
overlap or touch are merged into one mark.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from docproc.pipeline.answer.lexical import stem
from docproc.pipeline.text import STOPWORDS

_WORD = re.compile(r"\w+")
# A word joined to another by in-word punctuation, as the lexical tokenizer keeps it.
_COMPOUND = re.compile(r"\w+(?:[-./,:'&+()]+\w+)+\)?")


def query_terms(query: str) -> frozenset[str]:
    """The query's words, lowercased and stemmed, without stop words. A word that is part of
    an identifier ("4.2(b)") counts on its own only if it has three characters or more, so
    "4.2(b)" does not mark every "4", "2" and "b"."""
    query = query.lower()
    words = _WORD.findall(_COMPOUND.sub(" ", query))
    for compound in _COMPOUND.findall(query):
        words.extend(part for part in _WORD.findall(compound) if len(part) >= 3)
    return frozenset(stem(word) for word in words if word not in STOPWORDS)


def _compounds(query: str) -> list[str]:
    return [match.group() for match in _COMPOUND.finditer(query)]


def match_spans(text: str, query: str) -> list[tuple[int, int]]:
    """``[start, end)`` spans of ``text`` to mark, sorted, with overlapping ones merged."""
    terms = query_terms(query)
    spans = [m.span() for m in _WORD.finditer(text) if terms and stem(m.group().lower()) in terms]
    for compound in _compounds(query):
        spans.extend(
            m.span()
            for m in re.finditer(rf"(?<!\w){re.escape(compound)}(?!\w)", text, re.IGNORECASE)
        )
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, query: str) -> SafeString:
    """``text`` escaped, with each match of ``query``'s words wrapped in ``<mark>``."""
    parts: list[str] = []
    position = 0
    for start, end in match_spans(text, query):
        parts.append(escape(text[position:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # every piece of the document's text is escaped above
