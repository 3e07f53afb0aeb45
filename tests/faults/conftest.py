"""Fixtures for the fault tests: a broker no worker listens on, private Redis and PostgreSQL
servers that a test may stop, flush or restart without touching the shared ones."""

from __future__ import annotations

import pytest
import redis

from tests.conftest import TEST_REDIS_URL, spare_redis_url
from tests.factories.files import make_text_pdf

# Long enough to catch each stage in the act: parsing takes about a second, embedding several.
LONG_PDF = make_text_pdf(
    [
        f"{n}. CLAUSE {n}\n\nThe supplier shall deliver item {n} by day {n * 3} of the term, "
        f"and the customer shall pay invoice {n} within {n + 10} days of receipt."
        for n in range(1, 361)
    ]
)


def point_app_at(url: str) -> None:
    """Send this process's tasks to ``url`` (the Celery app caches its pools per broker)."""
    from kombu import pools

    from workers import app

    pools.reset()  # kombu's process-wide pools, keyed by URL, would hand back dead connections
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def idle_broker(settings):
    """The Celery app of this process sends to a Redis database that no worker reads, so a test
    can look at what was queued. Yields a client of it."""
    url = spare_redis_url(2)
    point_app_at(url)
    settings.CELERY_BROKER_URL = url
    try:
        yield redis.Redis.from_url(url)
    finally:
        point_app_at(TEST_REDIS_URL)
