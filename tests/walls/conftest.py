"""Fixtures of the ethical-walls tests: the enqueue recorder and fresh rate limits of the API
tests, the language model down (answers quote the documents, nothing waits on a model), and
the world of ``tests/walls/world.py`` built on fresh indexes."""

import pytest

from tests.api.conftest import enqueued, fresh_rate_limits  # noqa: F401  (found by name)
from tests.walls.world import World, build_world


@pytest.fixture
def world(db, enqueued, fresh_indexes, llm_down) -> World:  # noqa: F811
    return build_world()
