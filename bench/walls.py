"""Ethical walls, counted: every route of the URL conf × nine personas called with one matter's
ids (``tests/walls/matrix.py``, the same walk the tests make), then the same walk after that
matter's document is deleted.

    .venv/bin/python bench/walls.py

Runs in the bench's isolated environment (its own database, Redis database and data
directory) with the language model down, so answers are quoted from the documents and nothing
waits on a model. Prints the requests sent, leaks (a marker of the matter in an answer to
someone outside it), wrong statuses, and how many refusals of an existing object were audited.
"""

from __future__ import annotations

import logging
import time
import warnings

from harness import free_llm_url, prepare_database, unique_slug


def main() -> int:
    from django.conf import settings
    from django.test.utils import setup_test_environment
    from rest_framework.test import APIClient

    from docproc.services import ingestion
    from tests.walls import matrix
    from tests.walls.world import build_world

    prepare_database()
    # Every refusal is logged by Django, and each client warns of the unbuilt static files.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    logging.getLogger("docproc").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="No directory at")
    setup_test_environment()  # the test client's host and in-memory mail
    settings.LLM_BASE_URL = free_llm_url()  # nobody listens: answers quote the documents
    settings.LLM_MAX_RETRIES = 0
    settings.LLM_TIMEOUT_S = 2.0
    # Every bad-token persona comes from one address: past the per-address limit it gets 429.
    settings.TOKEN_FAILURES_PER_ADDRESS = 1_000_000
    ingestion.enqueue_processing = lambda document_id: None  # the stages run here, inline

    started = time.monotonic()
    world = build_world(slug_suffix="-" + unique_slug("b").rsplit("-", 1)[1])
    built = time.monotonic() - started

    started = time.monotonic()
    report = matrix.run(world)
    walked = time.monotonic() - started
    print(report.summary())
    print(f"(world built in {built:.1f} s, walked in {walked:.1f} s)")
    for problem in report.problems:
        print("  PROBLEM", problem)

    client = APIClient()
    client.force_login(world.users["editor_a"])
    deleted = client.delete(f"/api/v1/documents/{world.document_a.pk}/").status_code
    started = time.monotonic()
    sent, problems = matrix.after_deletion(world)
    print(
        f"after deleting the document (status {deleted}): {sent} requests, "
        f"{len(problems)} returned any of it, in {time.monotonic() - started:.1f} s"
    )
    for problem in problems:
        print("  PROBLEM", problem)
    return 1 if report.problems or problems or deleted != 200 else 0


if __name__ == "__main__":
    raise SystemExit(main())
