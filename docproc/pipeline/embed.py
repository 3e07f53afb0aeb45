"""Sentence embeddings with the bundled all-MiniLM-L6-v2 (the only module importing torch and
sentence_transformers).

The model is loaded lazily, once per process. Celery workers call ``warm_up()`` from
``worker_process_init`` in each child, never in the parent: torch computing anything before a
fork deadlocks prefork children (its thread pool does not survive the fork).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from docproc.pipeline.model_files import (
    EMBEDDING_DIMENSION,
    embedding_model_path,
)

if TYPE_CHECKING:
    # For the annotations only (at run time it is imported in warm_up, lazily). mypy does not
    # follow it (pyproject.toml), so to mypy this is Any.
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_model: SentenceTransformer | None = None


def set_threads(count: int) -> None:
    """Limit torch's intra-op threads (one per prefork child when several share the cores)."""
    import torch

    torch.set_num_threads(max(1, count))


def warm_up() -> SentenceTransformer:
    """Load the model if this process has not yet; returns it."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                from sentence_transformers import SentenceTransformer

                path = embedding_model_path()
                logger.info("loading embedding model from %s", path)
                _model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    return _model


def embed_texts(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Embed passages; returns float32 unit vectors of shape (len(texts), 384)."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIMENSION), dtype=np.float32)
    vectors = warm_up().encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)


def embed_query(text: str) -> np.ndarray:
    """Embed one query; returns a (1, 384) float32 unit vector."""
    return embed_texts([text], batch_size=1)
