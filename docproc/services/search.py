"""Dense passage search within one matter.

A query only ever touches its matter's own index, and a hit is returned only if its chunk still
exists in an indexed document of that matter, so deleted or half-processed documents never leak.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from docproc.models import Chunk, DocumentStatus, Matter
from docproc.pipeline.embed import embed_query
from docproc.pipeline.index import IndexMismatchError
from docproc.pipeline.types import TransientError
from docproc.services import indexes

MAX_K = 100


class SearchError(ValueError):
    """A search request that cannot be run as asked."""


class IndexUnavailableError(TransientError):
    """The matter's index cannot be used until an administrator rebuilds it."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    document: int
    filename: str
    page: int
    char_start: int
    char_end: int
    score: float
    text: str
    chunk: int

    def as_dict(self) -> dict:
        return asdict(self)


def search(matter: Matter, query: str, k: int = 10) -> list[SearchHit]:
    """The ``k`` passages of ``matter`` closest in meaning to ``query``, best first."""
    query = (query or "").strip()
    if not query:
        raise SearchError("The query is empty.")
    if not 1 <= k <= MAX_K:
        raise SearchError(f"k must be between 1 and {MAX_K}.")
    try:
        index = indexes.readers.get(matter.pk)
    except IndexMismatchError as exc:
        raise IndexUnavailableError(
            "This matter's search index was built with another embedding model; an "
            "administrator must run `manage.py rebuild_index --matter "
            f"{matter.slug}`."
        ) from exc
    if index.count == 0:
        return []
    # Over-fetch a little: hits of documents being deleted or re-processed are dropped below.
    ranked = index.search(embed_query(query)[0], k + 10)
    rows = {
        c.pk: c
        for c in Chunk.objects.filter(
            pk__in=[chunk_id for chunk_id, _ in ranked],
            document__matter=matter,
            document__status=DocumentStatus.INDEXED,
        ).select_related("document")
    }
    hits = []
    for chunk_id, score in ranked:
        row = rows.get(chunk_id)
        if row is None:
            continue
        hits.append(
            SearchHit(
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
