"""Dense passage search within one matter.

A query only ever touches its matter's own index, and a hit is returned only if its chunk still
exists in an indexed document of that matter, so deleted or half-processed documents never leak.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from docproc.models import Chunk, DocumentStatus, Matter
from docproc.pipeline.embed import embed_query
from docproc.pipeline.types import Passage, TransientError
from docproc.pipeline.vector_index import IndexCorruptError, IndexMismatchError, VectorIndex
from docproc.services import indexes

MAX_K = 100


class SearchError(ValueError):
    """A search request that cannot be run as asked."""


class IndexUnavailableError(TransientError):
    """The matter's index cannot be used until an administrator rebuilds it."""


def search(matter: Matter, query: str, k: int = 10) -> list[Passage]:
    """The ``k`` passages of ``matter`` closest in meaning to ``query``, best first."""
    query = checked_query(query, k)
    index = open_index(matter)
    if index.count == 0:
        return []
    # Over-fetch a little: hits of documents being deleted or re-processed are dropped below.
    ranked = index.search(embed_query(query)[0], k + 10)
    return build_hits(matter, ranked, k)


def checked_query(query: str, k: int) -> str:
    """``query`` stripped; raises SearchError if it is empty or ``k`` is outside 1..MAX_K."""
    query = (query or "").strip()
    if not query:
        raise SearchError("The query is empty.")
    if not 1 <= k <= MAX_K:
        raise SearchError(f"k must be between 1 and {MAX_K}.")
    return query


def open_index(matter: Matter) -> VectorIndex:
    """The matter's vector index (cached); IndexUnavailableError if another model built it or
    its file is damaged (other matters' indexes are separate files, and keep serving)."""
    try:
        return indexes.readers.get(matter.pk)
    except IndexCorruptError as exc:
        raise IndexUnavailableError(
            "This matter's search index is damaged (truncated or corrupt); an administrator "
            f"must run `manage.py rebuild_index --matter {matter.slug}`."
        ) from exc
    except IndexMismatchError as exc:
        raise IndexUnavailableError(
            "This matter's search index was built with another embedding model; an "
            "administrator must run `manage.py rebuild_index --matter "
            f"{matter.slug}`."
        ) from exc


def build_hits(
    matter: Matter,
    ranked: Sequence[tuple[int, float]],
    k: int,
    document_ids: Collection[int] | None = None,
) -> list[Passage]:
    """The first ``k`` of ``ranked`` ``(chunk id, score)`` pairs that are chunks of indexed
    documents of ``matter`` (and of ``document_ids``, when given), as hits in that order.

    This is where visibility is enforced: an id from an index that is stale, or of a document
    being deleted or re-processed, or of another matter, yields nothing.
    """
    chunks = Chunk.objects.filter(
        pk__in=[chunk_id for chunk_id, _ in ranked],
        document__matter=matter,
        document__status=DocumentStatus.INDEXED,
    )
    if document_ids is not None:
        chunks = chunks.filter(document_id__in=list(document_ids))
    rows = {c.pk: c for c in chunks.select_related("document")}
    hits = []
    for chunk_id, score in ranked:
        row = rows.get(chunk_id)
        if row is None:
            continue
        hits.append(
            Passage(
                document=row.document_id,
                filename=row.document.filename,
                page=row.page,
                char_start=row.char_start,
                char_end=row.char_end,
                score=round(score, 6),
                text=row.text,
                chunk=row.pk,
            )
        )
        if len(hits) == k:
            break
    return hits
