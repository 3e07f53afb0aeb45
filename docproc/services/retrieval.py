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

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from docproc.models import Chunk, DocumentStatus, Matter
from docproc.pipeline.compress import Passage
from docproc.pipeline.embed import embed_query
from docproc.pipeline.fusion import reciprocal_rank_fusion
from docproc.pipeline.index import VectorIndex
from docproc.pipeline.lexical import LexicalIndex
from docproc.services import indexes, search
from docproc.services.search import SearchError, SearchHit, build_hits, checked_query, open_index

# Rank fusion, chosen on bench/retrieval_recall.py (TAT-QA recall@5: 62.8 with the classic
# k = 60 and equal weights, 65.4 with these; PubMedQA unchanged at ~99): a small k lets the top
# ranks count, and BM25 weighs double because exact terms are what dense search misses.
RRF_K = 10
DENSE_WEIGHT = 0.5
LEXICAL_WEIGHT = 1.0
# BM25 hits scoring under this share of the best one only share a common word with the query;
# they get no vote, so they cannot outrank an exact identifier match ("ACC-00931") that dense
# search ranks low, merely because dense search ranks them high.
LEXICAL_MIN_SHARE = 0.3
MAX_CANDIDATES = 1000
# Lexical indexes kept in memory per process, least recently used dropped first.
CACHED_MATTERS = 32


def hybrid_search(
    matter: Matter,
    query: str,
    k: int = 10,
    *,
    document_ids: Sequence[int] | None = None,
    candidates: int = 50,
) -> list[SearchHit]:
    """The ``k`` passages of ``matter`` that best match ``query``, best first.

    The top ``candidates`` of dense and of BM25 search are fused by reciprocal rank; a hit's
    ``score`` is its fused score. ``document_ids`` narrows the search to those documents of
    the matter (ids of other matters' documents are ignored). Raises ``SearchError`` for an
    empty query or ``k`` outside 1..100, ``IndexUnavailableError`` when the index must be
    rebuilt.
    """
    query = checked_query(query, k)
    if not 1 <= candidates <= MAX_CANDIDATES:
        raise SearchError(f"candidates must be between 1 and {MAX_CANDIDATES}.")
    candidates = max(candidates, k)
    index = open_index(matter)
    if index.count == 0:
        return []
    vector = embed_query(query)[0]
    lexical = lexical_indexes.get(matter.pk, index)
    if document_ids is None:
        dense = index.search(vector, candidates)
        words = lexical.search(query, candidates)
    else:
        ids, vectors = _vectors_of_documents(matter, document_ids)
        if len(ids) == 0:
            return []
        dense = _nearest(ids, vectors, vector, candidates)
        words = lexical.search(query, candidates, among=ids.tolist())
    if words:
        words = [
            (chunk, score) for chunk, score in words if score >= LEXICAL_MIN_SHARE * words[0][1]
        ]
    fused = reciprocal_rank_fusion(
        [[chunk for chunk, _ in dense], [chunk for chunk, _ in words]],
        k=RRF_K,
        weights=(DENSE_WEIGHT, LEXICAL_WEIGHT),
    )
    return build_hits(matter, fused, k, document_ids)


def dense_search(
    matter: Matter, query: str, k: int = 10, *, document_ids: Sequence[int] | None = None
) -> list[SearchHit]:
    """The ``k`` passages of ``matter`` (of ``document_ids`` only, when given) closest in
    meaning to ``query``; ``score`` is the cosine similarity. Answers use it to tell a question
    the documents touch from one they do not, within the same narrowing as the answer."""
    if document_ids is None:
        return search.search(matter, query, k)
    query = checked_query(query, k)
    ids, vectors = _vectors_of_documents(matter, document_ids)
    if len(ids) == 0:
        return []
    return build_hits(matter, _nearest(ids, vectors, embed_query(query)[0], k), k, document_ids)


def to_passages(hits: Sequence[SearchHit]) -> list[Passage]:
    """Hits as the compression stage's passages (same order, score kept)."""
    return [
        Passage(
            chunk=hit.chunk,
            document=hit.document,
            filename=hit.filename,
            page=hit.page,
            char_start=hit.char_start,
            char_end=hit.char_end,
            text=hit.text,
            score=hit.score,
        )
        for hit in hits
    ]


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


class _LexicalCache:
    """Each matter's BM25 index, built from the chunks its vector index holds and rebuilt
    when the reader cache hands out another vector index (the file on disk changed)."""

    def __init__(self, size: int = CACHED_MATTERS) -> None:
        self._lock = threading.Lock()
        self._size = size
        self._entries: OrderedDict[int, tuple[VectorIndex, LexicalIndex]] = OrderedDict()

    def get(self, matter_id: int, index: VectorIndex) -> LexicalIndex:
        with self._lock:
            cached = self._entries.get(matter_id)
            if cached is not None and cached[0] is index:
                self._entries.move_to_end(matter_id)
                return cached[1]
        held = set(index.ids().tolist())
        # Every chunk the vector index holds, whatever its document's state: visibility is
        # checked when hits are built, and a document turns indexed only after its vectors
        # are saved, so filtering on state here could leave it out until the next save.
        rows = [
            (pk, text)
            for pk, text in Chunk.objects.filter(document__matter_id=matter_id)
            .order_by("pk")
            .values_list("pk", "text")
            .iterator(chunk_size=2000)
            if pk in held
        ]
        lexical = LexicalIndex.build([pk for pk, _ in rows], [text for _, text in rows])
        with self._lock:
            self._entries[matter_id] = (index, lexical)
            self._entries.move_to_end(matter_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return lexical

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


lexical_indexes = _LexicalCache()
