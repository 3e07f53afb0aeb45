"""The per-matter vector index: idempotent adds, removal, atomic round trips, model guard."""

from __future__ import annotations

import json

import numpy as np
import pytest

from docproc.pipeline import vector_index

MODEL = "test-model@1"


def unit_vectors(count: int, dimension: int = 8, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_adding_the_same_ids_twice_keeps_one_vector_each():
    index = vector_index.VectorIndex(MODEL, 8)
    ids = np.array([10, 11, 12])

    index.add(ids, unit_vectors(3))
    index.add(ids, unit_vectors(3))

    assert index.count == 3
    assert sorted(index.ids().tolist()) == [10, 11, 12]


def test_search_returns_the_nearest_id_first_with_its_cosine_score():
    index = vector_index.VectorIndex(MODEL, 8)
    vectors = unit_vectors(5)
    index.add(np.arange(100, 105), vectors)

    hits = index.search(vectors[3], k=2)

    assert hits[0][0] == 103
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert len(hits) == 2


def test_removed_ids_are_never_returned():
    index = vector_index.VectorIndex(MODEL, 8)
    vectors = unit_vectors(4)
    index.add(np.arange(4), vectors)

    removed = index.remove(np.array([2, 99]))

    assert removed == 1
    assert 2 not in [i for i, _ in index.search(vectors[2], k=4)]


def test_save_and_load_round_trip_exactly(tmp_path):
    index = vector_index.VectorIndex(MODEL, 8)
    vectors = unit_vectors(6)
    index.add(np.arange(6) * 7, vectors)

    vector_index.save(index, tmp_path)
    loaded = vector_index.load(tmp_path, MODEL, 8)

    assert sorted(loaded.ids().tolist()) == [0, 7, 14, 21, 28, 35]
    assert loaded.search(vectors[4], 1) == index.search(vectors[4], 1)
    assert json.loads((tmp_path / "index.json").read_text()) == {
        "model": MODEL,
        "dimension": 8,
        "count": 6,
    }
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_loading_an_index_of_another_model_is_refused(tmp_path):
    vector_index.save(vector_index.VectorIndex("other-model@2", 8), tmp_path)

    with pytest.raises(vector_index.IndexMismatchError, match="other-model@2"):
        vector_index.load(tmp_path, MODEL, 8)


def test_vectors_of_the_wrong_dimension_are_refused():
    index = vector_index.VectorIndex(MODEL, 8)

    with pytest.raises(vector_index.IndexMismatchError):
        index.add(np.array([1]), unit_vectors(1, dimension=4))


def test_missing_index_loads_empty(tmp_path):
    loaded = vector_index.load(tmp_path / "nothing-here", MODEL, 8)

    assert (loaded.count, loaded.search(unit_vectors(1)[0], 3)) == (0, [])


@pytest.mark.parametrize("name", [vector_index.INDEX_FILE, vector_index.SIDECAR_FILE])
def test_a_truncated_index_file_is_refused_as_corrupt(tmp_path, name):
    index = vector_index.VectorIndex("m@1", 4)
    index.add(np.array([1, 2], dtype=np.int64), np.eye(4, dtype=np.float32)[:2])
    vector_index.save(index, tmp_path)
    data = (tmp_path / name).read_bytes()
    (tmp_path / name).write_bytes(data[: len(data) // 2])

    with pytest.raises(vector_index.IndexCorruptError, match="truncated or corrupt"):
        vector_index.load(tmp_path, "m@1", 4)
