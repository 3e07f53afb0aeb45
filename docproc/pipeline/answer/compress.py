"""Compress retrieved passages to a token budget by query-aware sentence selection.

The served model's context is finite, and most of a retrieved passage does not bear on the
question. Each passage is split into sentences; every sentence is scored against the query:
IDF-weighted overlap with the query's terms, a prior from the retrieval rank of its passage
(shared in part by the other passages of the best hits' pages, since the rest of the abstract
or clause a hit came from is where results and exceptions usually are), a share of its
neighbours' overlap, and, when an embedder is given, cosine similarity. The best are kept,
whole, while the rendered context fits the budget; sentences scoring far below the best are
not kept even when there is room, because padding dilutes what the model reads. Nothing is
cut mid-sentence: a sentence (or table row, ``relevance.quotable_spans``) is kept whole or left
out, and what was left out is disclosed (``pages_left_out``, ``original_tokens``).

Retrieved chunks overlap (each repeats the end of the one before), so passages of one page are
first merged into disjoint segments of page text, which makes every sentence appear once;
sentences whose normalised wording repeats one already kept (boilerplate on every page, a
document uploaded twice) are dropped too. Kept sentences are returned in document, page and
offset order, adjacent ones merged, with exact page offsets: ``page_text[char_start:char_end]``
is the evidence text, so a citation can point at it. The stage is pure and deterministic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from docproc.pipeline.answer.lexical import tokenize
from docproc.pipeline.answer.relevance import quotable_spans
from docproc.pipeline.types import Passage

# The sentence score's parts (see ``_score``), chosen on bench/compression.py with PubMedQA
# and TAT-QA questions: lexical overlap, the retrieval prior, embedding similarity (only with
# ``embed``), and a share of the neighbours' lexical overlap.
LEXICAL_WEIGHT = 1.0
PRIOR_WEIGHT = 1.0
DENSE_WEIGHT = 0.5
NEIGHBOUR_WEIGHT = 0.25
# The prior of the passage at retrieval rank r is 1 / r ** PRIOR_DECAY ...
PRIOR_DECAY = 1.0
# ... raised to this share of the best prior on its page or a page next to it.
SIBLING_SHARE = 0.8
# A sentence scoring under this share of the best sentence is not worth its tokens, even when
# the budget has room: padding the context with it only dilutes what the model reads.
MIN_SCORE_SHARE = 0.35
# Two sentences whose term sets overlap this much (Jaccard) say the same thing.
NEAR_DUPLICATE = 0.85


@dataclass(frozen=True, slots=True)
class CompressedContext:
    """The evidence kept within the budget, and an account of what it cost and left out.

    Each evidence item is one kept sentence, or a run of adjacent kept sentences, of one page,
    as a ``Passage`` numbered (``id``) from 1 for citations.

    ``compression_ratio`` is ``original_tokens / tokens_used`` (0.0 when nothing was kept);
    pages are ``(document, page)`` pairs, sorted; a page left out was retrieved but
    contributes no evidence.
    """

    evidence: tuple[Passage, ...]
    tokens_used: int
    token_budget: int
    original_tokens: int
    compression_ratio: float
    pages_used: tuple[tuple[int, int], ...]
    pages_left_out: tuple[tuple[int, int], ...]


def render_evidence(evidence: Passage) -> str:
    """The default way one evidence item is shown to the model (and counted)."""
    return f"[{evidence.id}] {evidence.filename} p.{evidence.page}: {evidence.text}\n"


@dataclass(slots=True)
class _Segment:
    """Disjoint text of one page covered by one or more overlapping passages."""

    document: int
    filename: str
    page: int
    start: int
    end: int
    text: str
    passages: list[tuple[int, int, int, float]] = field(default_factory=list)
    # (char_start, char_end, chunk, prior) of each passage merged in, in rank order


@dataclass(slots=True)
class _Sentence:
    segment: int
    position: int  # index of the sentence within its segment
    start: int  # page offsets
    end: int
    text: str
    terms: frozenset[str]
    prior: float
    chunk: int
    score: float = 0.0


def compress(
    query: str,
    passages: Sequence[Passage],
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    *,
    render: Callable[[Passage], str] | None = None,
    embed: Callable[[Sequence[str]], np.ndarray] | None = None,
    relevance_floor: float = MIN_SCORE_SHARE,
) -> CompressedContext:
    """Keep the sentences of ``passages`` that best answer ``query`` within ``budget_tokens``.

    ``tokens_used`` is the sum of ``count_tokens(render(e))`` over the evidence returned and
    never exceeds ``budget_tokens``. ``render`` shows one evidence item to the model (default
    ``render_evidence``). ``embed`` (texts to vectors), when given, adds cosine similarity to
    the query to each sentence's score. Sentences scoring under ``relevance_floor`` times the
    best sentence's score are left out even if they would fit (0 fills the budget). Raises
    ``ValueError`` for a negative budget.
    """
    if budget_tokens < 0:
        raise ValueError(f"budget_tokens must not be negative, got {budget_tokens}")
    render = render or render_evidence
    counter = _CachedCounter(count_tokens)
    original = sum(
        counter(render(replace(passage, id=number)))
        for number, passage in enumerate(passages, start=1)
    )
    segments = _segments(passages)
    sentences = _sentences(segments)
    _score(query, sentences, embed)
    kept = _select(sentences, segments, budget_tokens, render, counter, relevance_floor)
    evidence = _evidence(kept, sentences, segments)
    used = sum(counter(render(e)) for e in evidence)
    retrieved = {(p.document, p.page) for p in passages}
    pages_used = {(e.document, e.page) for e in evidence}
    return CompressedContext(
        evidence=tuple(evidence),
        tokens_used=used,
        token_budget=budget_tokens,
        original_tokens=original,
        compression_ratio=round(original / used, 4) if used else 0.0,
        pages_used=tuple(sorted(pages_used)),
        pages_left_out=tuple(sorted(retrieved - pages_used)),
    )


class _CachedCounter:
    """``count_tokens`` memoised by string: selection re-counts the same renderings often."""

    def __init__(self, count_tokens: Callable[[str], int]) -> None:
        self._count = count_tokens
        self._cache: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        count = self._cache.get(text)
        if count is None:
            count = self._cache[text] = int(self._count(text))
        return count


def _priors(passages: Sequence[Passage]) -> list[float]:
    """A prior in (0, 1] for each passage from its retrieval rank (scores of different
    retrievers are not comparable; ranks are): ``1 / rank ** PRIOR_DECAY``, raised to
    ``SIBLING_SHARE`` of the best prior among passages of the same or an adjacent page of its
    document. Relevance clusters: the rest of the abstract or clause the best hit came from
    (where the results or the exception usually are) is likelier to matter than a passage of
    another document that merely shares words with the question."""
    order = sorted(range(len(passages)), key=lambda i: (-passages[i].score, i))
    own = [0.0] * len(passages)
    for rank, index in enumerate(order, start=1):
        own[index] = 1.0 / rank**PRIOR_DECAY
    best_near: dict[tuple[int, int], float] = {}
    for index, passage in enumerate(passages):
        for page in (passage.page - 1, passage.page, passage.page + 1):
            key = (passage.document, page)
            best_near[key] = max(best_near.get(key, 0.0), own[index])
    return [
        max(own[i], SIBLING_SHARE * best_near[(p.document, p.page)]) for i, p in enumerate(passages)
    ]


def _segments(passages: Sequence[Passage]) -> list[_Segment]:
    """Passages of each page merged where they overlap or touch, in document/page/offset
    order. Passages whose shared text disagrees (they cannot be slices of one page) stay
    apart."""
    priors = _priors(passages)
    order = sorted(
        range(len(passages)),
        key=lambda i: (passages[i].document, passages[i].page, passages[i].char_start, i),
    )
    segments: list[_Segment] = []
    for index in order:
        passage = passages[index]
        entry = (passage.char_start, passage.char_end, passage.chunk, priors[index])
        last = segments[-1] if segments else None
        if (
            last is not None
            and (last.document, last.page) == (passage.document, passage.page)
            and passage.char_start <= last.end
            and _consistent(last, passage)
        ):
            if passage.char_end > last.end:
                last.text += passage.text[last.end - passage.char_start :]
                last.end = passage.char_end
            last.passages.append(entry)
            continue
        segments.append(
            _Segment(
                document=passage.document,
                filename=passage.filename,
                page=passage.page,
                start=passage.char_start,
                end=passage.char_end,
                text=passage.text,
                passages=[entry],
            )
        )
    return segments


def _consistent(segment: _Segment, passage: Passage) -> bool:
    """Whether ``passage`` (starting inside ``segment``) agrees with it on their common text."""
    if len(passage.text) != passage.char_end - passage.char_start:
        return False
    shared_end = min(segment.end, passage.char_end)
    ours = segment.text[passage.char_start - segment.start : shared_end - segment.start]
    return ours == passage.text[: shared_end - passage.char_start]


def _sentences(segments: list[_Segment]) -> list[_Sentence]:
    sentences: list[_Sentence] = []
    for number, segment in enumerate(segments):
        for position, (start, end) in enumerate(quotable_spans(segment.text)):
            page_start, page_end = segment.start + start, segment.start + end
            # The best-ranked passage holding the sentence gives its prior and chunk id.
            covering = [p for p in segment.passages if p[0] <= page_start and page_end <= p[1]] or [
                p for p in segment.passages if p[0] < page_end and page_start < p[1]
            ]
            best = max(covering, key=lambda p: p[3])
            sentences.append(
                _Sentence(
                    segment=number,
                    position=position,
                    start=page_start,
                    end=page_end,
                    text=segment.text[start:end],
                    terms=frozenset(tokenize(segment.text[start:end])),
                    prior=best[3],
                    chunk=best[2],
                )
            )
    return sentences


def _score(
    query: str,
    sentences: list[_Sentence],
    embed: Callable[[Sequence[str]], np.ndarray] | None,
) -> None:
    """Set each sentence's score: lexical + prior + dense (if ``embed``) + neighbour bonus.

    Lexical is the share of the query's IDF mass the sentence contains (IDF over these
    sentences), in [0, 1]; prior is the retrieval prior of its passage, in (0, 1]; dense is
    the cosine similarity to the query. The neighbour bonus is a share of the better lexical
    score of the sentences just before and after: answers often continue a matching sentence.
    """
    if not sentences:
        return
    query_terms = list(dict.fromkeys(tokenize(query)))
    total = len(sentences)
    frequency = {t: sum(1 for s in sentences if t in s.terms) for t in query_terms}
    idf = {t: math.log1p((total - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}
    mass = sum(idf.values())
    lexical = [
        sum(idf[t] for t in query_terms if t in s.terms) / mass if mass else 0.0 for s in sentences
    ]
    dense = [0.0] * total
    if embed is not None:
        vectors = np.asarray(embed([query, *(s.text for s in sentences)]), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1)
        norms[norms == 0] = 1.0
        vectors = vectors / norms[:, None]
        dense = [float(x) for x in vectors[1:] @ vectors[0]]
    for i, sentence in enumerate(sentences):
        neighbours = [
            lexical[j]
            for j in (i - 1, i + 1)
            if 0 <= j < total and sentences[j].segment == sentence.segment
        ]
        sentence.score = (
            LEXICAL_WEIGHT * lexical[i]
            + PRIOR_WEIGHT * sentence.prior
            + DENSE_WEIGHT * dense[i]
            + NEIGHBOUR_WEIGHT * max(neighbours, default=0.0)
        )


def _wording_key(sentence: _Sentence) -> str:
    """The sentence's words, lower-cased: two sentences with the same key say the same."""
    return " ".join(re.findall(r"\w+", sentence.text.lower()))


def _near_duplicate(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return False
    smaller, larger = sorted((len(a), len(b)))
    if smaller < NEAR_DUPLICATE * larger:
        return False
    return len(a & b) >= NEAR_DUPLICATE * len(a | b)


def _select(
    sentences: list[_Sentence],
    segments: list[_Segment],
    budget: int,
    render: Callable[[Passage], str],
    counter: _CachedCounter,
    relevance_floor: float,
) -> set[int]:
    """Indices of the sentences kept: greedily best score first while the exact rendered
    total fits and the score is at least ``relevance_floor`` of the best, skipping repeats of
    a sentence already kept."""
    order = sorted(
        range(len(sentences)),
        key=lambda i: (-sentences[i].score, sentences[i].segment, sentences[i].position),
    )
    floor = relevance_floor * sentences[order[0]].score if order else 0.0
    kept: set[int] = set()
    kept_keys: set[str] = set()
    kept_terms: list[frozenset[str]] = []
    used = 0
    for index in order:
        sentence = sentences[index]
        if used >= budget or sentence.score < floor:
            break
        # A sentence's own text is a lower bound on its cost: skip what cannot fit.
        if counter(sentence.text) > budget - used:
            continue
        key = _wording_key(sentence)
        if key in kept_keys or any(_near_duplicate(sentence.terms, t) for t in kept_terms):
            continue
        trial = kept | {index}
        cost = sum(counter(render(e)) for e in _evidence(trial, sentences, segments))
        if cost <= budget:
            kept, used = trial, cost
            kept_keys.add(key)
            kept_terms.append(sentence.terms)
    return kept


def _evidence(
    kept: set[int], sentences: list[_Sentence], segments: list[_Segment]
) -> list[Passage]:
    """Kept sentences in document/page/offset order, runs of adjacent ones merged, numbered."""
    runs: list[list[_Sentence]] = []
    for index in sorted(kept, key=lambda i: (sentences[i].segment, sentences[i].position)):
        sentence = sentences[index]
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and last.segment == sentence.segment
            and last.position + 1 == sentence.position
        ):
            runs[-1].append(sentence)
        else:
            runs.append([sentence])
    result = []
    for number, run in enumerate(runs, start=1):
        segment = segments[run[0].segment]
        start, end = run[0].start, run[-1].end
        best = max(run, key=lambda s: (s.prior, -s.position))
        result.append(
            Passage(
                id=number,
                chunk=best.chunk,
                document=segment.document,
                filename=segment.filename,
                page=segment.page,
                char_start=start,
                char_end=end,
                text=segment.text[start - segment.start : end - segment.start],
            )
        )
    return result
