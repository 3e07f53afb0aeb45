"""Search refuses what it cannot answer honestly: empty queries, silly k, a foreign index."""

from __future__ import annotations

import pytest

from docproc.pipeline import vector_index
from docproc.services import dense_search, indexes, matters

pytestmark = pytest.mark.django_db


def test_empty_query_is_refused():
    matter = matters.get_or_create_matter("guards")[0]

    with pytest.raises(dense_search.SearchError, match="empty"):
        dense_search.search(matter, "   ", 5)


@pytest.mark.parametrize("k", [0, 101])
def test_k_outside_one_to_a_hundred_is_refused(k):
    matter = matters.get_or_create_matter("guards")[0]

    with pytest.raises(dense_search.SearchError, match="between 1 and 100"):
        dense_search.search(matter, "term", k)


def test_matter_without_an_index_finds_nothing(fresh_indexes):
    matter = matters.get_or_create_matter("guards-empty")[0]

    assert dense_search.search(matter, "termination for breach", 5) == []


def test_index_built_with_another_model_asks_for_a_rebuild(fresh_indexes):
    matter = matters.get_or_create_matter("guards-foreign")[0]
    vector_index.save(vector_index.VectorIndex("someone-else@9", 384), indexes.index_dir(matter.pk))

    with pytest.raises(
        dense_search.IndexUnavailableError, match="rebuild_index --matter guards-foreign"
    ):
        dense_search.search(matter, "termination", 5)
