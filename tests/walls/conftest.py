"""Fixtures of the ethical-walls tests: the enqueue recorder and fresh rate limits of the API
tests, the language model down (answers quote the documents, nothing waits on a model), and
the world of ``tests/walls/world.py`` built on fresh indexes."""

import pytest

from tests.api.conftest import enqueued, fresh_rate_limits  # noqa: F401  (found by name)
from tests.walls.world import World, build_world


@pytest.fixture
def world(db, enqueued, fresh_indexes, llm_down, settings) -> World:  # noqa: F811
    # Every bad-token persona comes from one test address: past the per-address limit the
    # API answers 429 (tests/audit/test_flood.py); the walls are about what 401 hides.
    settings.TOKEN_FAILURES_PER_ADDRESS = 1_000_000
    return build_world()
