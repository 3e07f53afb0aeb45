"""Each matter's FAISS index: writes under the matter's lock, cached reads, rebuild and check.

The database is the source of truth (chunks carry their vectors); the index is derived from it
and can always be rebuilt.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from docproc.models import Chunk, Document, DocumentStatus, Matter
from docproc.pipeline import vector_index
from docproc.pipeline.model_files import EMBEDDING_DIMENSION, embedding_model_id
from docproc.services.locks import index_writer

logger = logging.getLogger(__name__)


def index_dir(matter_id: int) -> Path:
    return Path(settings.INDEX_DIR) / f"matter-{matter_id}"


def _load(matter_id: int) -> vector_index.VectorIndex:
    return vector_index.load(index_dir(matter_id), embedding_model_id(), EMBEDDING_DIMENSION)


def vectors_of(chunks: Iterable[Chunk]) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of chunk rows that carry an embedding from the current model."""
    model = embedding_model_id()
    rows = [
        (c.pk, bytes(c.embedding)) for c in chunks if c.embedding and c.embedding_model == model
    ]
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, EMBEDDING_DIMENSION), dtype=np.float32)
    ids = np.fromiter((pk for pk, _ in rows), dtype=np.int64, count=len(rows))
    vectors = np.frombuffer(b"".join(blob for _, blob in rows), dtype=np.float32)
    return ids, vectors.reshape(len(rows), EMBEDDING_DIMENSION)


def _load_for_writing(matter_id: int) -> vector_index.VectorIndex:
    """The matter's index to change; a truncated or corrupt file is rebuilt from the database
    first (the caller holds the writer lock), so new documents still reach it."""
    try:
        return _load(matter_id)
    except vector_index.IndexCorruptError as exc:
        logger.error("matter %s: %s; rebuilding it from the database", matter_id, exc)
        return _from_database(matter_id)


def _from_database(matter_id: int) -> vector_index.VectorIndex:
    index = vector_index.VectorIndex(embedding_model_id(), EMBEDDING_DIMENSION)
    documents = Document.objects.filter(matter_id=matter_id, status=DocumentStatus.INDEXED)
    for document in documents.iterator():
        ids, vectors = vectors_of(
            Chunk.objects.filter(document=document).only("pk", "embedding", "embedding_model")
        )
        index.add(ids, vectors)
    return index


def add_chunks(matter_id: int, ids: np.ndarray, vectors: np.ndarray) -> int:
    """Put these vectors in the matter's index (replacing any under the same ids)."""
    with index_writer(matter_id):
        index = _load_for_writing(matter_id)
        index.add(ids, vectors)
        vector_index.save(index, index_dir(matter_id))
        return index.count


def remove_chunks(matter_id: int, ids: Iterable[int]) -> int:
    """Take these chunk ids out of the matter's index; returns how many were there."""
    ids = np.asarray(list(ids), dtype=np.int64)
    if len(ids) == 0:
        return 0
    with index_writer(matter_id):
        index = _load_for_writing(matter_id)
        removed = index.remove(ids)
        if removed:
            vector_index.save(index, index_dir(matter_id))
        return removed


def remove_chunk_groups(matter_id: int, groups: dict[int, list[int]]) -> dict[int, int]:
    """Take several documents' chunk ids (``{document_id: chunk ids}``) out of the matter's
    index in one load and save; returns how many vectors each document had there."""
    wanted = [chunk for chunks in groups.values() for chunk in chunks]
    if not wanted:
        return dict.fromkeys(groups, 0)
    with index_writer(matter_id):
        index = _load_for_writing(matter_id)
        held = index.ids()
        counts = {
            document: int(np.isin(np.asarray(chunks, dtype=np.int64), held).sum())
            for document, chunks in groups.items()
        }
        if index.remove(np.asarray(wanted, dtype=np.int64)):
            vector_index.save(index, index_dir(matter_id))
        return counts


def rebuild(matter: Matter) -> int:
    """Rebuild one matter's index from the vectors stored with its indexed documents."""
    with index_writer(matter.pk):
        index = _from_database(matter.pk)
        vector_index.save(index, index_dir(matter.pk))
        return index.count


@dataclass(frozen=True, slots=True)
class IndexCheck:
    matter: str
    ok: bool
    indexed_chunks: int
    vectors: int
    missing: list[int]  # chunk ids of indexed documents absent from the index
    orphans: list[int]  # ids in the index with no chunk of an indexed document
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "matter": self.matter,
            "ok": self.ok,
            "indexed_chunks": self.indexed_chunks,
            "vectors": self.vectors,
            "missing": self.missing[:100],
            "missing_count": len(self.missing),
            "orphans": self.orphans[:100],
            "orphan_count": len(self.orphans),
            "error": self.error,
        }


def check(matter: Matter) -> IndexCheck:
    """Compare the index with the database: every chunk of an indexed document has exactly one
    vector, and no vector points at anything else."""
    expected = set(
        Chunk.objects.filter(
            document__matter=matter, document__status=DocumentStatus.INDEXED
        ).values_list("pk", flat=True)
    )
    try:
        held = set(int(i) for i in _load(matter.pk).ids())
    except vector_index.IndexMismatchError as exc:
        return IndexCheck(matter.slug, False, len(expected), 0, sorted(expected), [], str(exc))
    missing = sorted(expected - held)
    orphans = sorted(held - expected)
    return IndexCheck(
        matter.slug, not missing and not orphans, len(expected), len(held), missing, orphans
    )


class _ReaderCache:
    """Indexes loaded for searching, reloaded when the file on disk changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[tuple[int, int, int] | None, vector_index.VectorIndex]] = {}

    def get(self, matter_id: int) -> vector_index.VectorIndex:
        stamp = vector_index.stamp(index_dir(matter_id))
        with self._lock:
            cached = self._entries.get(matter_id)
            if cached and cached[0] == stamp:
                return cached[1]
        index = _load(matter_id)
        with self._lock:
            self._entries[matter_id] = (stamp, index)
        return index


readers = _ReaderCache()


def remove_orphan_indexes() -> list[int]:
    """Remove the index of every matter that no longer exists (its deletion could not take the
    index lock at the end); returns their matter ids. Called by the sweeper."""
    root = Path(settings.INDEX_DIR)
    found = {
        int(path.name.removeprefix("matter-")): path
        for path in (root.glob("matter-*") if root.is_dir() else [])
        if path.name.removeprefix("matter-").isdigit()
    }
    existing = set(Matter.objects.filter(pk__in=found).values_list("pk", flat=True))
    return sorted(
        matter_id
        for matter_id in found
        if matter_id not in existing and remove_matter_index(matter_id)
    )


def remove_matter_index(matter_id: int) -> bool:
    """Delete the matter's whole index (the matter is being deleted); returns whether there was
    one on disk."""
    with index_writer(matter_id):
        directory = index_dir(matter_id)
        if not directory.exists():
            return False
        shutil.rmtree(directory)
        return True
