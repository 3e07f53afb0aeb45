"""Audit verification: a full check of the chain (every record walked and rehashed, compared
with the anchored head, checkpointed, anchored) per 100,000 records, against the console's
live check after a checkpoint (only the records added since).

    DOCPROC_BENCH_DATABASE_URL=postgres://... DOCPROC_BENCH_REDIS_URL=redis://... \\
        .venv/bin/python bench/audit_verify.py [RECORDS] [SINCE]

Adds RECORDS (default 100,000) records to the bench database's log (bulk, hashed exactly as
``services.audit.record`` does), runs a full check, appends SINCE (default 100) records through
``audit.record`` and times the live check. The log is append-only (it cannot be emptied), so a
second run walks the first run's records too: times are scaled per 100,000 records walked.
"""

from __future__ import annotations

import sys
import time

from django.db import transaction
from django.utils import timezone
from harness import prepare_database  # sets the environment before Django loads

from docproc.models import AuditEvent
from docproc.models.audit import GENESIS_HASH, Action
from docproc.services import audit
from docproc.services.audit.chain import lock

BATCH = 5000


def add_records(count: int) -> None:
    """Append ``count`` search records in bulk, chained from the current head."""
    with transaction.atomic():
        lock()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, previous = last if last else (0, GENESIS_HASH)
        batch: list[AuditEvent] = []
        for n in range(count):
            seq += 1
            event = AuditEvent(
                seq=seq,
                at=timezone.now(),
                actor_name="bench",
                action=Action.SEARCH,
                matter_slug="bench-matter",
                client_address="203.0.113.7",
                request_id=f"bench-{seq}",
                details={"query": f"indemnity clause {n}", "k": 10, "hits": 3, "chunk_ids": [n]},
                prev_hash=previous,
            )
            event.hash = event.compute_hash()
            previous = event.hash
            batch.append(event)
            if len(batch) == BATCH:
                AuditEvent.objects.bulk_create(batch)
                batch = []
        AuditEvent.objects.bulk_create(batch)


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    since = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    prepare_database()
    started = time.perf_counter()
    add_records(records)
    print(f"added {records} records in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    status = audit.full_check()
    full_s = time.perf_counter() - started
    assert status.ok, status
    walked = status.checked
    per_100k = full_s * 100_000 / walked
    print(f"full check: {walked} records in {full_s:.2f} s = {per_100k:.2f} s per 100k records")

    for n in range(since):
        audit.record(None, Action.SEARCH, details={"query": f"after the checkpoint {n}"})
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        check = audit.live_check()
        timings.append(time.perf_counter() - started)
        assert check.status.ok and check.status.checked == since, check
    live_s = sorted(timings)[len(timings) // 2]
    print(f"live check after a checkpoint: {since} records in {live_s * 1000:.1f} ms (median of 5)")
    print(f"ratio full (per 100k) / live: {per_100k / live_s:.0f}x")


if __name__ == "__main__":
    main()
