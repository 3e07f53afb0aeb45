"""How hard the property-based tests fuzz: a few dozen examples each in the suite, as many as
``DOCPROC_FUZZ_EXAMPLES`` says in ``bench/fuzz.py``."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings


def fuzz_settings(examples: int) -> settings:
    """``examples`` per property (or ``DOCPROC_FUZZ_EXAMPLES``), no deadline: parsing a damaged
    PDF may take a while; a hang is the parse limit's business, not the test's."""
    return settings(
        max_examples=int(os.environ.get("DOCPROC_FUZZ_EXAMPLES", examples)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
