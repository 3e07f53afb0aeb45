"""Per-matter vector indexes on disk (the only module importing faiss).

Each matter has ``<dir>/index.faiss`` (an ``IndexIDMap2`` over an exact inner-product index,
keyed by chunk id) and ``<dir>/index.json``, a sidecar naming the embedding model and dimension,
so vectors from different models are never mixed. Saves are atomic: write a temporary file, fsync,
rename. Callers hold the matter's writer lock around ``load → change → save``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

INDEX_FILE = "index.faiss"
SIDECAR_FILE = "index.json"


def _faiss() -> ModuleType:
    """faiss, imported on first use: importing it initialises OpenMP, which must not happen in
    a Celery parent before it forks its children (its thread pool would deadlock them), nor slow
    every manage.py call."""
    import faiss

    return faiss


class IndexMismatchError(Exception):
    """The index on disk was built with another embedding model or dimension."""


class IndexCorruptError(IndexMismatchError):
    """The index file on disk is truncated or corrupt (a crash of the disk or the storage, or a
    hand edit: saves themselves are atomic). Rebuilt from the database like a mismatched one."""


def set_threads(count: int) -> None:
    _faiss().omp_set_num_threads(max(1, count))


@dataclass(frozen=True, slots=True)
class IndexInfo:
    model: str
    dimension: int
    count: int


class VectorIndex:
    """A FAISS index of unit vectors keyed by int64 chunk ids."""

    def __init__(self, model: str, dimension: int, index: Any = None) -> None:
        self.model = model
        self.dimension = dimension
        # A faiss.IndexIDMap2. Left Any: faiss's stubs type remove_ids as taking only an
        # IDSelector, while its Python wrapper (what this uses) also takes an array of ids.
        self._index: Any = (
            index if index is not None else _faiss().IndexIDMap2(_faiss().IndexFlatIP(dimension))
        )

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    def ids(self) -> np.ndarray:
        """Every chunk id held, as int64."""
        ids: np.ndarray = _faiss().vector_to_array(self._index.id_map).astype(np.int64)
        return ids

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of everything held, in the same order: what page-level and
        document-level scoring needs without reading every embedding back from the database."""
        count = self.count
        if count == 0:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._index.index.reconstruct_n(0, count)
        return self.ids(), np.asarray(vectors, dtype=np.float32).reshape(count, self.dimension)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors, replacing any already held under the same ids (so re-runs never
        duplicate)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise IndexMismatchError(
                f"vectors have shape {vectors.shape}, index dimension is {self.dimension}"
            )
        if len(ids) != len(vectors):
            raise ValueError("ids and vectors differ in length")
        if len(ids) == 0:
            return
        self.remove(ids)
        self._index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> int:
        """Remove these ids if present; returns how many were removed."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0 or self.count == 0:
            return 0
        return int(self._index.remove_ids(ids))

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` nearest chunk ids to one query vector, best first, as (id, score)."""
        if self.count == 0 or k <= 0:
            return []
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        scores, ids = self._index.search(query, min(k, self.count))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]

    def info(self) -> IndexInfo:
        return IndexInfo(model=self.model, dimension=self.dimension, count=self.count)


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(index: VectorIndex, directory: Path) -> None:
    """Write the index then its sidecar, each atomically."""
    data = _faiss().serialize_index(index._index).tobytes()
    _atomic_write_bytes(directory / INDEX_FILE, data)
    sidecar = {"model": index.model, "dimension": index.dimension, "count": index.count}
    _atomic_write_bytes(directory / SIDECAR_FILE, json.dumps(sidecar).encode())


def load(directory: Path, model: str, dimension: int) -> VectorIndex:
    """Load the index in ``directory``, or an empty one if there is none yet.

    Raises IndexMismatchError if it was built with another model or dimension, and its
    subclass IndexCorruptError if a file is truncated or corrupt.
    """
    index_path = directory / INDEX_FILE
    if not index_path.exists():
        return VectorIndex(model, dimension)
    sidecar_path = directory / SIDECAR_FILE
    try:
        sidecar = json.loads(sidecar_path.read_text()) if sidecar_path.exists() else {}
    except ValueError as exc:
        raise IndexCorruptError(
            f"index sidecar {sidecar_path} is truncated or corrupt; run `manage.py rebuild_index`"
        ) from exc
    if sidecar.get("model") != model or sidecar.get("dimension") != dimension:
        raise IndexMismatchError(
            f"index in {directory} was built with {sidecar.get('model')!r} "
            f"(dimension {sidecar.get('dimension')}), not {model!r} (dimension {dimension}); "
            "run `manage.py rebuild_index`"
        )
    raw = np.frombuffer(index_path.read_bytes(), dtype=np.uint8)
    try:
        faiss_index = _faiss().deserialize_index(raw)
    except RuntimeError as exc:  # faiss's own error for a short or garbled file
        raise IndexCorruptError(
            f"index file {index_path} is truncated or corrupt ({len(raw)} bytes); "
            "run `manage.py rebuild_index`"
        ) from exc
    if faiss_index.d != dimension:
        raise IndexMismatchError(f"index file dimension {faiss_index.d} != {dimension}")
    return VectorIndex(model, dimension, faiss_index)


def stamp(directory: Path) -> tuple[int, int, int] | None:
    """Identifies the index file's current version (for readers' caches); None if absent.
    Saves replace the file, so the inode changes even within one clock tick."""
    try:
        info = (directory / INDEX_FILE).stat()
    except FileNotFoundError:
        return None
    return (info.st_mtime_ns, info.st_ino, info.st_size)


def delete(directory: Path) -> None:
    for name in (INDEX_FILE, SIDECAR_FILE):
        (directory / name).unlink(missing_ok=True)
