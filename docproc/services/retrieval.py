"""Hybrid retrieval within one matter: dense (FAISS) fused with lexical (BM25) by rank.

Dense search finds passages that mean what the question means; it misses exact identifiers
("Section 4.2(b)", "ACC-00931", a drug name) that BM25 matches term for term. Both rankings
are fused by reciprocal rank fusion, so neither score scale dominates.

Visibility is the dense search's: a hit is returned only if its chunk belongs to an indexed
document of the matter (and of ``document_ids``, when the caller narrows), checked in the
database when hits are built. The BM25 index of a matter is built from the chunks its vector
index holds and cached in this process next to it: it is rebuilt whenever the reader cache
reloads the vector index (its file stamp changed), so the two never disagree for long.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from docproc.models import Chunk, Document, DocumentStatus, Matter
from docproc.pipeline.answer.fusion import page_fusion, reciprocal_rank_fusion
from docproc.pipeline.answer.lexical import LexicalIndex, tokenize
from docproc.pipeline.embed import embed_query
from docproc.pipeline.ingest.context import indexed_text
from docproc.pipeline.types import Passage
from docproc.pipeline.vector_index import VectorIndex
from docproc.services import dense_search as dense
from docproc.services import indexes
from docproc.services.dense_search import (
    SearchError,
    build_hits,
    checked_query,
    open_index,
)

# Rank fusion: a small k lets the top ranks count, and BM25 weighs most because exact terms are
# what dense search misses (an identifier such as "4.2(b)" must come first). Dense search and
# the page ranking (a second dense vote) weigh 0.4 each against BM25's 1.0: of the splits tried
# that keep BM25 ahead of either dense vote alone, the best on financebench-dev, and on TAT-QA
# with its tables (bench/retrieval_recall.py) the service reaches recall@5 71.9 against the
# baseline's 55.9. On whole filings BM25 alone lets boilerplate sharing the question's words
# crowd out the evidence; the document context, routing and page vectors counter it there.
RRF_K = 10
DENSE_WEIGHT = 0.4
LEXICAL_WEIGHT = 1.0
# BM25 hits scoring under this share of the best one only share a common word with the query;
# they get no vote, so they cannot outrank an exact identifier match ("ACC-00931") that dense
# search ranks low, merely because dense search ranks them high.
LEXICAL_MIN_SHARE = 0.3
# Document-aware dense search: a chunk's score is its own cosine similarity plus this weight
# times its document context's (organisation, form, period, title). Mean-pooled embeddings of
# "context + passage" are close to such a weighted sum, so this approximates embedding each
# chunk with its header without embedding every chunk twice. Chosen on financebench-dev
# (bench/financebench_recall.py); the dense ranking is re-scored over this many nearest chunks.
DOCUMENT_WEIGHT = 1.0
DENSE_POOL = 500
# Document routing: a question that names its document ("Adobe's FY2016 10-K", "the Acme
# lease") is searched in the documents whose context matches it best. A document's routing
# score is the cosine of its context to the question plus this weight times its BM25 score over
# the contexts (relative to the best); the documents within ROUTING_MARGIN of the best are
# searched, all of them when that is every document (the question names none). Chosen on
# financebench-dev (bench/financebench_recall.py: margins 0.05-0.3 tried; 0.2 kept recall@20
# highest without losing recall@5).
ROUTING_LEXICAL_WEIGHT = 0.5
ROUTING_MARGIN = 0.2
# ... and only a question holding a term that at most this share of the contexts hold: one
# that names a document. Without it, contexts that are all alike (a table's first line, the
# same years) routed TAT-QA questions to the wrong reports (bench/retrieval_recall.py).
ROUTING_RARE_SHARE = 0.1
# The words a question names things with: capitalised, after its first word and not opening a
# further sentence ("Costco", "Best Buy", "MGM"). Lowercase words ("revenue in asia") that
# happen to be rare among contexts (a table's first line) routed TAT-QA to wrong reports.
_CAPITALISED = re.compile(r"(?<![.?!:;]\s)(?<=\s)[A-Z][\w&'-]*")
# Page vectors: each page's mean passage vector (normalised) with its document bonus, ranked
# as a third list of the fusion at this weight, each page represented by its passage closest
# to the question. A whole page says what a statement or schedule is about better than any of
# its passages alone. Chosen on financebench-dev (weights 0.17-1.0 tried).
PAGE_WEIGHT = 0.4
# A page longer than this is no printed page (99.9 % of the 7,718 pages of financebench-dev's
# filings are shorter): it is cut into spans of this size for page fusion and page vectors.
PAGE_SPAN_CHARS = 8500
# A query naming a reference ("4.2(b)", "ACC-00931", "10-K": a digit joined by punctuation to
# letters or brackets) looks that reference up: the passage holding it must come first, so no
# page ranking adds a second dense vote against BM25's exact match.
_REFERENCE = re.compile(r"(?<!\w)(?=[\w.()/-]*\d)(?=[\w.()/-]*[A-Za-z(])\w+(?:[-./(][\w)]+)+")
MAX_CANDIDATES = 1000
# Lexical indexes kept in memory per process, least recently used dropped first.
CACHED_MATTERS = 32


@dataclass(frozen=True, slots=True)
class Levers:
    """The stages of hybrid retrieval that can be switched off, for ablation benchmarks (the
    service runs with all of them on)."""

    dense: bool = True
    lexical: bool = True
    document_context: bool = True  # document headers: dense re-scoring and BM25 terms
    section_context: bool = True  # section and table-column headers as BM25 terms
    page_fusion: bool = True  # one vote per page, its best passage first
    document_routing: bool = True  # search the documents the question names
    page_vectors: bool = True  # a page-level dense ranking fused in


ALL_LEVERS = Levers()


def hybrid_search(
    matter: Matter,
    query: str,
    k: int = 10,
    *,
    document_ids: Sequence[int] | None = None,
    candidates: int = 50,
    levers: Levers = ALL_LEVERS,
) -> list[Passage]:
    """The ``k`` passages of ``matter`` that best match ``query``, best first.

    The top ``candidates`` of dense search (re-scored with each chunk's document context) and
    of BM25 search (over passages with their document and section headers) are fused by
    reciprocal rank, then by page (each page's best passage first); a hit's ``score`` is its
    fused score. ``document_ids`` narrows the search to those documents of the matter (ids of
    other matters' documents are ignored). Raises ``SearchError`` for an empty query or ``k``
    outside 1..100, ``IndexUnavailableError`` when the index must be rebuilt.
    """
    query = checked_query(query, k)
    if not 1 <= candidates <= MAX_CANDIDATES:
        raise SearchError(f"candidates must be between 1 and {MAX_CANDIDATES}.")
    candidates = max(candidates, k)
    index = open_index(matter)
    if index.count == 0:
        return []
    vector = embed_query(query)[0]
    headers = (levers.document_context, levers.section_context)
    data = matter_data.get(matter.pk, index, headers)
    among = None
    if document_ids is not None:
        ids, vectors = _vectors_of_documents(matter, document_ids)
        if len(ids) == 0:
            return []
        among = ids.tolist()
        nearest = _nearest(ids, vectors, vector, max(DENSE_POOL, candidates))
        documents = list(document_ids)
    elif levers.document_routing and (routed := data.route(query, vector)) is not None:
        ids, vectors = data.chunks_of(routed)
        among = ids.tolist()
        nearest = _nearest(ids, vectors, vector, max(DENSE_POOL, candidates))
        documents = routed
    else:
        nearest = index.search(vector, max(DENSE_POOL, candidates)) if levers.dense else []
        documents = None
    # Only a question that names a document is steered by how well the documents' contexts
    # match it; otherwise a context ("Note 13 - Taxes on income") outvoted the passages.
    document_weight = (
        DOCUMENT_WEIGHT if levers.document_context and data.names_a_document(query) else 0.0
    )
    dense: list[tuple[int, float]] = []
    if levers.dense:
        dense = nearest
        if document_weight:
            dense = data.with_document_scores(nearest, vector, document_weight)
        dense = dense[:candidates]
    words = data.lexical.search(query, candidates, among=among) if levers.lexical else []
    if words:
        words = [
            (chunk, score) for chunk, score in words if score >= LEXICAL_MIN_SHARE * words[0][1]
        ]
    rankings = [[chunk for chunk, _ in dense], [chunk for chunk, _ in words]]
    weights = [DENSE_WEIGHT, LEXICAL_WEIGHT]
    if levers.dense and levers.page_vectors and not _REFERENCE.search(query):
        rankings.append(data.page_ranking(vector, document_weight, candidates, documents))
        weights.append(PAGE_WEIGHT)
    fused = reciprocal_rank_fusion(rankings, k=RRF_K, weights=weights)
    if levers.page_fusion:
        fused = page_fusion(fused, data.fusion_unit_of)
    return build_hits(matter, fused, k, document_ids)


def dense_search(
    matter: Matter, query: str, k: int = 10, *, document_ids: Sequence[int] | None = None
) -> list[Passage]:
    """The ``k`` passages of ``matter`` (of ``document_ids`` only, when given) closest in
    meaning to ``query``; ``score`` is the cosine similarity. Answers use it to tell a question
    the documents touch from one they do not, within the same narrowing as the answer."""
    if document_ids is None:
        return dense.search(matter, query, k)
    query = checked_query(query, k)
    ids, vectors = _vectors_of_documents(matter, document_ids)
    if len(ids) == 0:
        return []
    return build_hits(matter, _nearest(ids, vectors, embed_query(query)[0], k), k, document_ids)


def _vectors_of_documents(
    matter: Matter, document_ids: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of the chunks of these indexed documents of ``matter``.

    Narrowed dense search scores exactly these vectors (stored with the chunks) instead of
    filtering the matter's top hits, which could hold none of the documents asked for.
    """
    chunks = Chunk.objects.filter(
        document__matter=matter,
        document__status=DocumentStatus.INDEXED,
        document_id__in=list(document_ids),
    ).only("pk", "embedding", "embedding_model")
    return indexes.vectors_of(chunks.order_by("pk"))


def _nearest(
    ids: np.ndarray, vectors: np.ndarray, query: np.ndarray, k: int
) -> list[tuple[int, float]]:
    scores = vectors @ np.asarray(query, dtype=np.float32)
    order = np.lexsort((ids, -scores))[:k]
    return [(int(ids[i]), float(scores[i])) for i in order]


# A chunk as hybrid search reads it: pk, document, page, text, section context, char_start.
ChunkRow = tuple[int, int, int, str, str, int]


class MatterSearchData:
    """What hybrid search needs of a matter besides its vector index, built from the chunks
    the index holds: the BM25 index (over passages with the headers asked for), each chunk's
    document and page, each document's context (vector and terms, for routing and the
    document bonus) and each page's vector."""

    def __init__(
        self,
        rows: list[ChunkRow],
        documents: dict[int, tuple[str, bytes | memoryview | None]],
        headers: tuple[bool, bool],
        vectors: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        with_document, with_section = headers
        self.page_of = {pk: (document, page) for pk, document, page, *_ in rows}
        # The unit page fusion and page vectors vote with: a page, or a page-sized span of a
        # document that has no pages of its own (a text file, an email, most DOCX files are
        # all "page 1"): one vote for a whole contract buried its second-best clause.
        self.unit_of = {
            pk: (document, page, start // PAGE_SPAN_CHARS)
            for pk, document, page, _, _, start in rows
        }
        # Page fusion spreads the top over the pages of long documents. A document of one
        # page or span (a letter, a short report) has no pages to spread over: its passages
        # compete on their own, or its table's explaining paragraph waits behind every other
        # document (TAT-QA recall@5 65.6 with one vote per such document, 71.9 without).
        units = Counter(unit[0] for unit in set(self.unit_of.values()))
        self.fusion_unit_of = {
            pk: unit if units[unit[0]] > 1 else ("passage", pk) for pk, unit in self.unit_of.items()
        }
        self.lexical = LexicalIndex.build(
            [pk for pk, *_ in rows],
            [
                indexed_text(
                    documents.get(document, ("", None))[0] if with_document else "",
                    section if with_section else "",
                    text,
                )
                for _, document, _, text, section, _ in rows
            ],
        )
        with_vectors = [
            (pk, vector) for pk, (_, vector) in sorted(documents.items()) if vector is not None
        ]
        self._document_ids = [pk for pk, _ in with_vectors]
        self._document_row = {pk: row for row, (pk, _) in enumerate(with_vectors)}
        self._document_vectors = (
            np.stack([np.frombuffer(v, dtype=np.float32) for _, v in with_vectors])
            if with_vectors
            else np.zeros((0, 0), dtype=np.float32)
        )
        self._document_lexical = LexicalIndex.build(
            self._document_ids, [documents[pk][0] for pk in self._document_ids]
        )
        # How many contexts hold each term: a question is routed only when it names (with a
        # capitalised word) a term few contexts hold (a company, a party).
        self._context_frequency = Counter(
            term for pk in self._document_ids for term in set(tokenize(documents[pk][0]))
        )
        # Documents that cannot be routed (no context vector) are always searched.
        self._unrouted = sorted({d for d, _ in self.page_of.values()} - set(self._document_row))
        self._build_pages(vectors)

    def _build_pages(self, vectors: tuple[np.ndarray, np.ndarray] | None) -> None:
        ids, matrix = vectors if vectors is not None else (np.zeros(0, dtype=np.int64), None)
        known = np.array([int(i) in self.page_of for i in ids], dtype=bool)
        self._chunk_ids = ids[known] if len(ids) else ids
        self._chunk_vectors = (
            matrix[known] if matrix is not None else np.zeros((0, 0), dtype=np.float32)
        )
        keys = [self.unit_of[int(i)] for i in self._chunk_ids]
        self._chunk_documents = np.array([key[0] for key in keys], dtype=np.int64)
        members: dict[tuple[int, int, int], list[int]] = {}
        for row, key in enumerate(keys):
            members.setdefault(key, []).append(row)
        self._page_members = [np.array(rows, dtype=np.int64) for rows in members.values()]
        self._page_documents = np.array([key[0] for key in members], dtype=np.int64)
        if members:
            means = np.stack([self._chunk_vectors[m].mean(axis=0) for m in self._page_members])
            norms = np.linalg.norm(means, axis=1, keepdims=True)
            self._page_vectors = (means / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        else:
            self._page_vectors = np.zeros((0, 0), dtype=np.float32)

    def _document_similarity(self, query: np.ndarray) -> np.ndarray | None:
        if not len(self._document_vectors) or len(query) != self._document_vectors.shape[1]:
            return None
        return self._document_vectors @ np.asarray(query, dtype=np.float32)

    @staticmethod
    def _neutral(similarity: np.ndarray) -> float:
        """The context similarity a document without a context is given: the mean of those
        that have one. Zero instead ranked every such document (a plain text file, a report
        with no title) below the others whatever its passages said (TAT-QA R@1 32 against 45
        without the bonus, bench/retrieval_recall.py)."""
        return float(similarity.mean()) if len(similarity) else 0.0

    def names_a_document(self, query: str) -> bool:
        """Whether ``query`` names a document: a capitalised word of it ("Costco", "Acme")
        holds a term that few document contexts hold (``ROUTING_RARE_SHARE``)."""
        if len(self._document_ids) < 2:
            return False
        rare = max(1, int(ROUTING_RARE_SHARE * len(self._document_ids)))
        named = {t for word in _CAPITALISED.findall(query) for t in tokenize(word)}
        return any(0 < self._context_frequency[t] <= rare for t in named)

    def route(self, query: str, vector: np.ndarray) -> list[int] | None:
        """The documents a question names, by their contexts (``ROUTING_*``), plus those
        with no context; None when the question singles out none (every document is kept)
        or fewer than two documents can be told apart."""
        similarity = self._document_similarity(vector)
        if similarity is None or len(self._document_ids) < 2:
            return None
        if not self.names_a_document(query):
            return None
        lexical = dict(self._document_lexical.search(query, len(self._document_ids)))
        best = max(lexical.values(), default=0.0)
        scores = similarity.astype(np.float64)
        if best > 0:
            scores += ROUTING_LEXICAL_WEIGHT * np.array(
                [lexical.get(pk, 0.0) / best for pk in self._document_ids]
            )
        kept = [
            pk
            for pk, score in zip(self._document_ids, scores, strict=True)
            if score >= scores.max() - ROUTING_MARGIN
        ]
        if len(kept) == len(self._document_ids):
            return None
        return kept + self._unrouted

    def chunks_of(self, documents: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of the indexed chunks of these documents."""
        chosen = np.isin(self._chunk_documents, np.asarray(list(documents), dtype=np.int64))
        return self._chunk_ids[chosen], self._chunk_vectors[chosen]

    def page_ranking(
        self,
        query: np.ndarray,
        document_weight: float,
        count: int,
        documents: Sequence[int] | None = None,
    ) -> list[int]:
        """Pages by the cosine of their mean vector to ``query`` plus ``document_weight``
        times their document context's, best first (only ``documents``' pages, when given),
        each as its passage closest to the query: ``count`` chunk ids."""
        if not len(self._page_vectors) or len(query) != self._page_vectors.shape[1]:
            return []
        query = np.asarray(query, dtype=np.float32)
        scores = self._page_vectors @ query
        similarity = self._document_similarity(query)
        if document_weight and similarity is not None:
            rows = np.array([self._document_row.get(int(d), -1) for d in self._page_documents])
            scores = scores + document_weight * np.where(
                rows >= 0, similarity[rows], self._neutral(similarity)
            )
        if documents is not None:
            allowed = np.isin(self._page_documents, np.asarray(list(documents), dtype=np.int64))
            scores = np.where(allowed, scores, -np.inf)
        order = np.argsort(-scores, kind="stable")[:count]
        chunk_scores = self._chunk_vectors @ query
        ranking = []
        for page in order:
            if not np.isfinite(scores[page]):
                break
            rows = self._page_members[page]
            ranking.append(int(self._chunk_ids[rows[int(np.argmax(chunk_scores[rows]))]]))
        return ranking

    def with_document_scores(
        self, nearest: Sequence[tuple[int, float]], query: np.ndarray, weight: float
    ) -> list[tuple[int, float]]:
        """``nearest`` (chunk id, cosine) re-scored with ``weight`` times the cosine of the
        chunk's document context to the query, best first (ties keep their order)."""
        similarity = self._document_similarity(query)
        if similarity is None:
            return list(nearest)
        neutral = self._neutral(similarity)
        scored = []
        for chunk, score in nearest:
            place = self.page_of.get(chunk)
            row = self._document_row.get(place[0]) if place is not None else None
            bonus = weight * (float(similarity[row]) if row is not None else neutral)
            scored.append((chunk, score + bonus))
        return sorted(scored, key=lambda pair: -pair[1])


class _MatterDataCache:
    """Each matter's search data, built from the chunks its vector index holds and rebuilt
    when the reader cache hands out another vector index (the file on disk changed)."""

    def __init__(self, size: int = CACHED_MATTERS) -> None:
        self._lock = threading.Lock()
        self._size = size
        self._entries: OrderedDict[
            tuple[int, tuple[bool, bool]], tuple[VectorIndex, MatterSearchData]
        ] = OrderedDict()

    def get(
        self, matter_id: int, index: VectorIndex, headers: tuple[bool, bool] = (True, True)
    ) -> MatterSearchData:
        key = (matter_id, headers)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None and cached[0] is index:
                self._entries.move_to_end(key)
                return cached[1]
        vectors = index.vectors()
        held = set(vectors[0].tolist())
        # Every chunk the vector index holds, whatever its document's state: visibility is
        # checked when hits are built, and a document turns indexed only after its vectors
        # are saved, so filtering on state here could leave it out until the next save.
        rows = [
            row
            for row in Chunk.objects.filter(document__matter_id=matter_id)
            .order_by("pk")
            .values_list("pk", "document_id", "page", "text", "context", "char_start")
            .iterator(chunk_size=2000)
            if row[0] in held
        ]
        documents = {
            pk: (context, vector)
            for pk, context, vector in Document.objects.filter(matter_id=matter_id).values_list(
                "pk", "context", "context_embedding"
            )
        }
        data = MatterSearchData(rows, documents, headers, vectors)
        with self._lock:
            self._entries[key] = (index, data)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return data

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


matter_data = _MatterDataCache()
