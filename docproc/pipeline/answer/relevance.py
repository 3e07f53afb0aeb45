"""Which whole sentences of the evidence answer a question, and how to cut text into them.

An answer quotes the evidence, so what it quotes must stand on its own: a whole sentence, or a
whole row of a table, never half of either. ``quotable_spans`` cuts text into such units:
sentences (``text.split_sentences``) within paragraphs, where a line that is a table row
(cells separated by `` | `` or tabs) or a heading (no lowercase letter, or a few words with no
punctuation before a capitalised line: "Page 1", "MASTER SERVICES AGREEMENT", "11. Termination")
stands alone instead of being glued to the sentence after it, as a PDF's text layer would have
it. Only a "sentence" longer than ``LONG_UNIT_CHARS`` spread over lines (OCR text with no full
stops, a list) is cut into its lines, since nothing shorter would be whole.

``rank`` orders candidate sentences by how well they answer a question: the cosine similarity
of their embeddings (meaning: "terminate" answers "termination" and "notice period" finds
"sixty (60) days' written notice"; a table row is also embedded under its column headers and
caption), the share of the question's IDF-weighted terms they hold, with what they are about
(``context``: a row's headers, a sentence's section heading), after folding words to a rough
root ("termination", "terminate", "terminated" are one term), the question's word pairs they
hold in order ("net income", not "income, net"), a prior from the retrieval rank of the passage
each came from, and a boost when the sentence holds what the question's type asks for: names
for "who", a date for "when", a duration for "how long", a figure for "how much". A bare label
or heading ranks last. ``Ranked.answers`` says whether the best candidate bears on the
question at all, measured without the names the question mentions, which must occur where the
sentence was found; when it does not, the documents do not answer. The stage is pure: the
embedder is passed in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from docproc.pipeline.answer.lexical import tokenize
from docproc.pipeline.text import Span, split_sentences

# A "sentence" this long spread over several lines is no prose sentence: quote its lines.
LONG_UNIT_CHARS = 1000

# The score's parts (see ``rank``), chosen on bench/answer_quality.py (the only questions with
# known answer sentences; no held-out set): meaning counts most, then the question's rarer
# terms, its word pairs, the retrieval order and the question type.
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 0.5
PHRASE_WEIGHT = 0.2
PRIOR_WEIGHT = 0.2
# What a question of each type wants, by how specific its sign is: a name (a company suffix,
# a title, "Marisol T. Quenby") or a date says more than any digit does.
KIND_WEIGHTS = {"name": 0.3, "date": 0.2, "duration": 0.2, "amount": 0.1}
# A candidate answers nothing when it is neither close in meaning nor holds most of the
# question's terms.
MIN_DENSE = 0.5
MIN_LEXICAL = 0.5
# ... or, when it holds what the question's type asks for (a name for "who"), this share.
MIN_LEXICAL_OF_KIND = 0.3
# A table row whose label is nothing but the question's terms ("Revenue" for "the revenue")
# is a closer answer than one whose label adds to them ("Cost of revenue").
LABEL_WEIGHT = 0.1

_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_CELL_SEPARATOR = re.compile(r"\S\s+\|\s+\S|\t")
# A PDF's table row as its text layer has it: a label, then figures ("Total current assets
# 8,802     10,539", "Accounts payable $  5,687   $  6,803"): two or more figures ending the
# line, or one set apart by a wide gap. Prose ends in at most one figure ("... in 2022.").
_FIGURE = r"\(?-?\$?\s*\d[\d,]*(?:\.\d+)?\)?%?"
_NUMERIC_ROW = re.compile(rf"^(?=.*[A-Za-z]).*?(?:(?:\s+{_FIGURE}){{2,}}|\s{{2,}}{_FIGURE})\s*$")
_LOWERCASE = re.compile(r"[^\W\d_A-Z]")
_HEADING_MAX_CHARS = 40
# The number a heading or clause starts with: "1.", "4.2", "(b)", "iv."
_ITEM_NUMBER = re.compile(r"^\(?(?:\d+(?:\.\d+)*|[a-z]|[ivxlc]+)\)?\.?\s+")
_HEADING_MAX_WORDS = 4


def quotable_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Spans of ``text[start:end]`` that may be quoted whole, in order: sentences, table rows
    and headings (see the module docstring), trimmed, never overlapping."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in [*_BLANK_LINE.finditer(text, start, end), None]:
        stop = end if match is None else match.start()
        spans += _paragraph_units(text, cursor, stop)
        if match is not None:
            cursor = match.end()
    return spans


def _paragraph_units(text: str, start: int, end: int) -> list[Span]:
    lines = _line_spans(text, start, end)
    units: list[Span] = []
    prose_start: int | None = None
    for index, (a, b) in enumerate(lines):
        line = text[a:b]
        following = text[lines[index + 1][0]] if index + 1 < len(lines) else ""
        if _is_row(line) or _is_heading(line, following):
            if prose_start is not None:
                units += _prose_units(text, prose_start, lines[index - 1][1])
                prose_start = None
            units.append((a, b))
        elif prose_start is None:
            prose_start = a
    if prose_start is not None:
        units += _prose_units(text, prose_start, lines[-1][1])
    return units


def _prose_units(text: str, start: int, end: int) -> list[Span]:
    units = []
    for a, b in split_sentences(text, start, end):
        if b - a > LONG_UNIT_CHARS and "\n" in text[a:b]:
            units += _line_spans(text, a, b)
        else:
            units.append((a, b))
    return units


def _line_spans(text: str, start: int, end: int) -> list[Span]:
    spans = []
    for match in re.finditer(r"[^\n]+", text[start:end]):
        line = match.group()
        stripped = line.strip()
        if stripped:
            left = start + match.start() + (len(line) - len(line.lstrip()))
            spans.append((left, left + len(stripped)))
    return spans


def _is_row(line: str) -> bool:
    return _CELL_SEPARATOR.search(line) is not None or _NUMERIC_ROW.search(line) is not None


def _is_title(line: str) -> bool:
    """A short line with no closing punctuation that is its own paragraph or block, as a
    word processor's headings are ("Diagnoses", "Hospital course")."""
    return (
        len(line) <= _HEADING_MAX_CHARS
        and len(line.split()) <= _HEADING_MAX_WORDS
        and line[-1] not in ".!?;:,"
        and line[0].isupper()
    )


def _is_heading(line: str, following: str) -> bool:
    """A line that names what follows rather than starting its first sentence."""
    if line[-1] in ".!?;:,":
        return False
    if _LOWERCASE.search(line) is None:
        return any(c.isalpha() for c in line)
    return (
        len(line) <= _HEADING_MAX_CHARS
        and len(line.split()) <= _HEADING_MAX_WORDS
        and _ITEM_NUMBER.sub("", line)[:1].isupper()
        and (following.isupper() or following.isdigit())
    )


_CONTEXT_LOOKBACK_CHARS = 3000


def context(text: str, start: int, end: int) -> str:
    """What the sentence or row at ``text[start:end]`` (a page) is about, from around it: a
    table row's first row (the column headers) and the line before its table (the caption);
    a sentence's section heading (the nearest heading line before it). "" if none."""
    lines = _line_spans(text, max(0, start - _CONTEXT_LOOKBACK_CHARS), len(text))
    at = next((i for i, (a, b) in enumerate(lines) if a <= start < b), None)
    if at is None:
        return ""
    if not _is_row(text[start:end]):
        for index in range(at - 1, -1, -1):
            line = text[slice(*lines[index])]
            following = text[lines[index + 1][0]]
            if not _is_row(line) and (_is_heading(line, following) or _is_title(line)):
                return line
        return ""
    first = at
    while first > 0 and _is_row(text[slice(*lines[first - 1])]):
        first -= 1
    parts = [text[slice(*lines[first - 1])]] if first > 0 else []
    if first < at:
        parts.append(text[slice(*lines[first])])
    return " ".join(parts)


# --- ranking ------------------------------------------------------------------------------

_SUFFIXES = (
    "abilities", "ability", "ibility", "ations", "ation", "itions", "ition", "ators", "ator",
    "ating", "ated", "ates", "ate", "ments", "ment", "ings", "ing", "ions", "ion", "ness",
    "ities", "ity", "able", "ible", "ies", "ied", "ers", "er", "ors", "or", "ed", "ic", "ly",
    "al", "is", "e", "y",
)  # fmt: skip
_MIN_ROOT = 4
# Words of a question that say what kind of answer it wants, not what it is about.
_QUESTION_FILLER = frozenset(
    "much many long often soon quickly far kind whose tell give list name please".split()
)


def root(term: str) -> str:
    """``term`` (a lexical index term, already lowercased and plural-stripped) folded to a
    rough root, so derived forms match: "termination", "terminate", "terminated" → "termin";
    "renewal", "renew" → "renew". Identifiers and numbers are left alone."""
    if not term.isalpha():
        return term
    for suffix in _SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= _MIN_ROOT:
            return term[: -len(suffix)]
    return term


def terms(text: str) -> frozenset[str]:
    """The folded roots of ``text``'s index terms."""
    return frozenset(root(t) for t in tokenize(text))


NAME, DATE, DURATION, AMOUNT = "name", "date", "duration", "amount"

_QUESTION_KINDS = (
    (DURATION, re.compile(
        r"\bhow (?:long|soon|quickly)\b|\bhow many (?:minutes|hours|days|weeks|months|years)\b"
        r"|\bwithin how\b|\b(?:period|duration|deadline)\b", re.IGNORECASE)),
    (DATE, re.compile(r"\bwhen\b|\b(?:what|which) (?:date|day|year)\b|\bdate\b", re.IGNORECASE)),
    (AMOUNT, re.compile(
        r"\bhow (?:much|many)\b|\b(?:amount|rate|percentage|percent|price|cost|dose|figure)\b",
        re.IGNORECASE)),
    (NAME, re.compile(r"\bwho(?:m|se)?\b|\bwhich (?:company|party|parties|person|firm)\b",
                      re.IGNORECASE)),
)  # fmt: skip

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_UNIT = r"(?:minute|hour|day|business day|week|month|year)s?"
_NUMBER_WORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)(?:-\w+)?"
)
_FEATURES = {
    # A company's legal form, a title, "Marisol T. Quenby", or a name a contract defines for a
    # party: (the "Customer").
    NAME: re.compile(
        r"\b(?:LLC|LLP|Ltd|Inc|Corp|PLC|plc|GmbH|AG|S\.A|N\.V|LP)\b\.?|\b(?:Dr|Mr|Mrs|Ms|Prof)\."
        r"|\b[A-Z][a-z]+ [A-Z]\. [A-Z][a-z]+|\((?:the )?[\"“][A-Z][^\"”]{0,40}[\"”]\)"
    ),
    DATE: re.compile(
        rf"\b\d{{1,2}} {_MONTH}\b|\b{_MONTH} \d{{1,2}}\b|\b\d{{4}}-\d\d-\d\d\b"
        rf"|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b",
        re.IGNORECASE,
    ),
    DURATION: re.compile(rf"\b(?:\d+|{_NUMBER_WORD})(?:\s*\(\d+\))?[\s-]+{_UNIT}\b", re.IGNORECASE),
    AMOUNT: re.compile(r"\d"),
}


def question_kind(question: str) -> str | None:
    """What the question asks for: ``NAME``, ``DATE``, ``DURATION``, ``AMOUNT`` or None."""
    for kind, pattern in _QUESTION_KINDS:
        if pattern.search(question):
            return kind
    return None


def kind_count(sentence: str, kind: str | None) -> int:
    """How many distinct things ``sentence`` holds of what a question of ``kind`` asks for."""
    if kind is None:
        return 0
    return len({m.group(0) for m in _FEATURES[kind].finditer(sentence)})


@dataclass(frozen=True, slots=True)
class Ranked:
    """One candidate's place in a ranking, with the parts of its score."""

    index: int  # into the candidates given
    score: float
    dense: float  # cosine similarity to the question
    lexical: float  # share of the question's IDF mass the candidate (with its context) holds
    prior: float
    kind: bool  # holds what the question's type asks for
    statement: bool  # states something (not a bare label or heading)
    focus_dense: float  # the same two against the question without its names
    focus_lexical: float
    names: bool  # the names the question mentions are in the sentence or its scope

    @property
    def answers(self) -> bool:
        """Whether the candidate bears on the question at all: it states something, and is
        close in meaning to what the question asks, or holds most of its terms (enough of
        them when it holds what the question's type asks for). Both are measured without the
        names the question mentions, which must occur where it was found: "the CEO of
        Kestrelmoor" is not answered by a sentence that only names Kestrelmoor."""
        return (
            self.statement
            and self.names
            and (
                self.focus_dense >= MIN_DENSE
                or self.focus_lexical >= MIN_LEXICAL
                or (self.kind and self.focus_lexical >= MIN_LEXICAL_OF_KIND)
            )
        )


_MIN_STATEMENT_WORDS = 5
# A capitalised word after the first, shaped like a name ("Kestrelmoor", "Provider"), not an
# acronym or a code ("PCI", "HbA1c"), nor the first word of a further sentence ("... in USD
# millions. Please round ...").
_NAME_WORD = re.compile(r"(?<![.?!:;]\s)(?<=\s)[A-Z][a-z]+(?:['’-][A-Za-z]+)*(?=[\s,.?!;:)]|$)")


def states_something(text: str) -> bool:
    """Whether ``text`` can answer anything: a table row, or text with a figure or at least
    five words. A label or heading ("Diagnoses", "Chief Operating Officer", "2.4 Service
    levels.") is close in meaning to many questions and answers none."""
    if _is_row(text):
        return True
    body = _ITEM_NUMBER.sub("", text.strip())
    return any(c.isdigit() for c in body) or len(body.split()) >= _MIN_STATEMENT_WORDS


def asked(question: str) -> str:
    """The sentences of ``question`` that ask (end in "?"), without those that instruct
    ("Answer in USD millions. Base your judgments on the income statement."): the instructions'
    words are in no answer, so measured with them a right sentence looks off the question.
    The whole text when no sentence, or every sentence, asks."""
    sentences = [question[a:b] for a, b in split_sentences(question)]
    asking = [s for s in sentences if s.endswith("?")]
    return " ".join(asking) if asking and len(asking) < len(sentences) else question


def focus(question: str) -> str:
    """What ``question`` asks (``asked``) without the names it mentions (capitalised words
    after its first): what it asks about them. The question itself when nothing else would be
    left."""
    focused = " ".join(_NAME_WORD.sub("", asked(question)).split())
    return focused if terms(focused) - _QUESTION_FILLER else question


def names(question: str) -> frozenset[str]:
    """The terms of the names ``question`` mentions."""
    return frozenset(root(t) for m in _NAME_WORD.finditer(question) for t in tokenize(m.group()))


def _row_label(text: str) -> str:
    """The first cell of a table row ("" for anything else, or a row with no words in it)."""
    if not _is_row(text):
        return ""
    first = re.split(r"\s+\|\s+|\t", text, maxsplit=1)[0]
    return first if terms(first) else ""


def _bigrams(text: str) -> set[tuple[str, str]]:
    words = [root(t) for t in tokenize(text)]
    return set(zip(words, words[1:], strict=False))


def rank(
    question: str,
    sentences: Sequence[str],
    priors: Sequence[float],
    embed: Callable[[Sequence[str]], np.ndarray] | None = None,
    contexts: Sequence[str] | None = None,
    scopes: Sequence[str] | None = None,
) -> list[Ranked]:
    """``sentences`` best answer to ``question`` first (ties: the order given).

    ``priors`` (one per sentence, in [0, 1]) come from the retrieval rank of the passage each
    sentence came from. ``embed`` (texts to unit vectors), when given, embeds the question and
    every sentence in one batch for their cosine similarity. ``contexts`` (one per sentence,
    may be empty) is text that says what a sentence is about without being part of it: a table
    row's column headers and caption, a sentence's section heading. Its terms count as the
    sentence's, and a row is also embedded with it. ``scopes`` (one per sentence) is the text
    a sentence was found in: a question naming something ("the CEO of Kestrelmoor") is only
    answered where that name occurs.
    """
    if not sentences:
        return []
    contexts = contexts or [""] * len(sentences)
    scopes = scopes or sentences
    wanted_names = names(question)
    held_names = (
        [
            wanted_names <= terms(f"{sentence} {about} {scope}")
            for sentence, about, scope in zip(sentences, contexts, scopes, strict=True)
        ]
        if wanted_names
        else [True] * len(sentences)
    )
    focused = focus(question)
    question_terms = terms(question) - _QUESTION_FILLER
    sentence_terms = [terms(s) | terms(c) for s, c in zip(sentences, contexts, strict=True)]
    lexical, weighted = _lexical(question_terms, sentence_terms)
    focus_lexical = (
        _lexical(terms(focused) - _QUESTION_FILLER, sentence_terms)[0]
        if focused != question
        else lexical
    )
    question_pairs = _bigrams(question)
    dense = focus_dense = [0.0] * len(sentences)
    if embed is not None:
        queries = [question] if focused == question else [question, focused]
        rows = [i for i, s in enumerate(sentences) if contexts[i] and _is_row(s)]
        texts = [*queries, *sentences, *(f"{contexts[i]}\n{sentences[i]}" for i in rows)]
        vectors = np.asarray(embed(texts), dtype=np.float32)
        q, f = vectors[0], vectors[len(queries) - 1]
        own = vectors[len(queries) : len(queries) + len(sentences)]
        dense, focus_dense = [float(x) for x in own @ q], [float(x) for x in own @ f]
        # A row means what it means under its headers: "48213" is revenue for FY2024.
        for i, vector in zip(rows, vectors[len(queries) + len(sentences) :], strict=True):
            dense[i] = max(dense[i], float(vector @ q))
            focus_dense[i] = max(focus_dense[i], float(vector @ f))
    kind = question_kind(question)
    kind_weight = KIND_WEIGHTS.get(kind, 0.0) if kind else 0.0
    ranked = []
    for i, sentence in enumerate(sentences):
        found = kind_count(sentence, kind)
        statement = states_something(sentence)
        phrases = (
            len(question_pairs & _bigrams(f"{contexts[i]} {sentence}")) / len(question_pairs)
            if question_pairs
            else 0.0
        )
        label = _row_label(sentence)
        precision = len(question_terms & terms(label)) / len(terms(label)) if label else 0.0
        score = (
            LABEL_WEIGHT * precision
            + DENSE_WEIGHT * dense[i]
            + LEXICAL_WEIGHT * weighted[i]
            + PHRASE_WEIGHT * phrases
            + PRIOR_WEIGHT * priors[i]
            + (kind_weight * (1 + 0.5 * (min(found, 3) - 1)) if found else 0.0)
            - (0.0 if statement else 1.0)
        )
        ranked.append(
            Ranked(
                i,
                score,
                dense[i],
                lexical[i],
                priors[i],
                found > 0,
                statement,
                focus_dense[i],
                focus_lexical[i],
                held_names[i],
            )
        )
    ranked.sort(key=lambda r: (-r.score, r.index))
    return ranked


def _lexical(
    question_terms: frozenset[str], sentence_terms: Sequence[frozenset[str]]
) -> tuple[list[float], list[float]]:
    """For each sentence, the share of the question's IDF mass it holds (IDF over these
    sentences), and the same mass against the most a term could weigh: the second lets a
    question whose terms are all common ("the parties to the agreement") gain little from
    matching them."""
    total = len(sentence_terms)
    idf = {
        t: math.log1p((total - f + 0.5) / (f + 0.5))
        for t in question_terms
        for f in [sum(1 for s in sentence_terms if t in s)]
    }
    mass = sum(idf.values())
    ceiling = len(idf) * math.log1p((total - 0.5) / 1.5)
    held = [sum(idf[t] for t in question_terms & s) for s in sentence_terms]
    return (
        [h / mass if mass else 0.0 for h in held],
        [h / ceiling if ceiling > 0 else 0.0 for h in held],
    )
