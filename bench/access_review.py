"""Access-review export time for 100 matters × 50 users (5,000 memberships), through the
service and through the page, against a naive per-row baseline measured in the same run.

    DOCPROC_BENCH_DATABASE_URL=postgres://... .venv/bin/python bench/access_review.py \\
        [MATTERS] [USERS] [EVENTS_PER_PAIR]

Fills its own database (``docproc_bench_access`` unless DOCPROC_BENCH_DATABASE_URL names
another) inside one transaction that is rolled back at the end, so every run starts empty: MATTERS
(default 100) matters, USERS (default 50) users each a member of every matter, a superuser
(break-glass rows), a screen per matter, and EVENTS_PER_PAIR (default 3) audit records for 4 in
5 of the (user, matter) pairs, bulk-created and chained as ``audit.record`` does, at times over
the last 200 days. Then times, median of REPEAT runs each:
- ``service``: ``access_review.review()`` (every row, last access included);
- ``service + CSV``: the review written as CSV (``access_csv.review_lines``);
- ``page``: ``GET /compliance/access/`` (first 200 rows shown, the whole review computed);
- ``page CSV``: ``GET /compliance/access.csv``, the whole streamed body read;
- ``naive``: the same rows and CSV with queries per row (each membership's user, who added
  them, its matter, and its last access: a query each), the way a first version would.
Prints the figures, the query counts and the naive/service ratio; checks that both agree.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta

os.environ.setdefault(
    "DOCPROC_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/docproc_bench_access"
)

from harness import prepare_database  # noqa: E402  (sets the environment before Django loads)

# isort: split
from django.db import connection, transaction  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from docproc.models import AuditEvent, Matter, Membership, Role, Screen  # noqa: E402
from docproc.models.audit import GENESIS_HASH, Action  # noqa: E402
from docproc.services import access_csv, access_review  # noqa: E402
from docproc.services.audit.chain import lock  # noqa: E402

REPEAT = 5
BATCH = 5000


class Rollback(Exception):
    """Raised at the end to roll the whole run back."""


def build(matters: int, users: int, per_pair: int) -> int:
    """The data set; returns how many audit records it added."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    people = user_model.objects.bulk_create(
        [user_model(username=f"bench-user-{n:03d}", first_name="Bench", last_name=str(n))
         for n in range(users)]
    )  # fmt: skip
    root = user_model.objects.create(username="bench-root", is_superuser=True, is_staff=True)
    outsider = user_model.objects.create(username="bench-walled")
    rows = Matter.objects.bulk_create(
        [Matter(slug=f"bench-matter-{n:03d}", name=f"Bench matter {n}") for n in range(matters)]
    )
    Membership.objects.bulk_create(
        [
            Membership(
                matter=matter,
                user=person,
                role=Role.MANAGER if i == 0 else Role.EDITOR if i % 3 else Role.VIEWER,
                added_by=people[0],
            )
            for matter in rows
            for i, person in enumerate(people)
        ],
        batch_size=BATCH,
    )
    Screen.objects.bulk_create(
        [Screen(matter=matter, user=outsider, reason="bench conflict", created_by=root)
         for matter in rows]
    )  # fmt: skip
    now = timezone.now()
    added = 0
    with transaction.atomic():
        lock()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, previous = last if last else (0, GENESIS_HASH)
        batch: list[AuditEvent] = []
        for m, matter in enumerate(rows):
            for u, person in enumerate(people):
                if (m + u) % 5 == 0:
                    continue  # one pair in five never used its matter
                for k in range(per_pair):
                    seq += 1
                    event = AuditEvent(
                        seq=seq,
                        at=now - timedelta(days=(m * 7 + u * 13 + k * 29) % 200, seconds=k),
                        actor=person,
                        actor_name=person.username,
                        action=Action.SEARCH if k % 2 else Action.VIEW_DOCUMENT,
                        matter=matter,
                        matter_slug=matter.slug,
                        details={"query": f"bench {k}"},
                        prev_hash=previous,
                    )
                    event.hash = event.compute_hash()
                    previous = event.hash
                    batch.append(event)
                    if len(batch) == BATCH:
                        AuditEvent.objects.bulk_create(batch)
                        added += len(batch)
                        batch = []
        AuditEvent.objects.bulk_create(batch)
        added += len(batch)
    return added


def naive_rows() -> list[access_review.AccessRow]:
    """The review as a first version would build it: queries per row."""
    from django.contrib.auth import get_user_model

    found = []
    for membership in Membership.objects.order_by("matter__slug", "user__username"):
        user = membership.user  # a query
        added_by = membership.added_by  # a query
        matter = membership.matter  # a query
        last = naive_last_access(user, matter)  # a query
        found.append(
            access_review.AccessRow(
                matter_id=matter.pk,
                matter=matter.slug,
                matter_name=matter.name,
                matter_status=matter.status,
                user_id=user.pk,
                username=user.username,
                full_name=user.get_full_name(),
                access=access_review.Access.MEMBER,
                role=membership.role,
                superuser=user.is_superuser,
                added_by=added_by.username if added_by else None,
                added_at=membership.created_at,
                last_access=last,
            )
        )
    for matter in Matter.objects.all():  # screens and superusers: a query or two per matter
        for screen in Screen.objects.filter(matter=matter, lifted_at__isnull=True):
            last = naive_last_access(screen.user, matter)
            found.append(access_review._screened_row(matter, screen, last))
        for root in get_user_model().objects.filter(is_superuser=True, is_active=True):
            last = naive_last_access(root, matter)
            found.append(access_review._break_glass_row(matter, root, last))
    return found


def naive_last_access(user, matter):
    return (
        AuditEvent.objects.filter(actor=user, matter=matter)
        .exclude(action=Action.ACCESS_DENIED)
        .aggregate(latest=Max("at"))["latest"]
    )


class QueryCounter:
    """Counts the queries sent (``connection.execute_wrapper``: no cap, unlike the query log)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(function, repeat: int = REPEAT) -> tuple[float, int, object]:
    """Median seconds over ``repeat`` runs, the queries of one run, and its result."""
    times, result, queries = [], None, 0
    for _ in range(repeat):
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            result = function()
            times.append(time.perf_counter() - started)
        queries = counter.count
    return statistics.median(times), queries, result


def main() -> None:
    matters = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    per_pair = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    prepare_database()
    try:
        with transaction.atomic():
            run(matters, users, per_pair)
            raise Rollback
    except Rollback:
        pass


def run(matters: int, users: int, per_pair: int) -> None:
    started = time.perf_counter()
    events = build(matters, users, per_pair)
    print(
        f"built {matters} matters × {users} users = {matters * users} memberships, "
        f"{events} audit records, in {time.perf_counter() - started:.1f} s"
    )
    from django.contrib.auth import get_user_model

    officer = get_user_model().objects.get(username="bench-root")
    client = Client()
    client.force_login(officer)

    def page() -> int:
        response = client.get("/compliance/access/")
        assert response.status_code == 200
        return len(response.content)

    def page_csv() -> int:
        response = client.get("/compliance/access.csv")
        assert response.status_code == 200
        return len(b"".join(response.streaming_content))

    service_s, service_q, rows = timed(access_review.review)
    csv_s, csv_q, text = timed(lambda: "".join(access_csv.review_lines(access_review.review())))
    page_s, page_q, _ = timed(page)
    page_csv_s, page_csv_q, size = timed(page_csv)
    naive_s, naive_q, naive = timed(
        lambda: "".join(access_csv.review_lines(naive_rows())), repeat=1
    )

    assert isinstance(rows, list) and isinstance(text, str) and isinstance(naive, str)
    assert sorted(text.splitlines()) == sorted(naive.splitlines()), "naive and service differ"
    used = sum(1 for row in rows if row.last_access is not None)
    print(f"rows: {len(rows)} ({used} with a last access); CSV {len(text):,} chars")
    print(f"service review:       {service_s * 1000:8.1f} ms  ({service_q} queries)")
    print(f"service review + CSV: {csv_s * 1000:8.1f} ms  ({csv_q} queries)")
    print(f"page /compliance/access/:   {page_s * 1000:8.1f} ms  ({page_q} queries)")
    print(f"page /compliance/access.csv: {page_csv_s * 1000:7.1f} ms  ({page_csv_q} queries, "
          f"{size:,} bytes)")  # fmt: skip
    print(f"naive per-row + CSV:  {naive_s * 1000:8.1f} ms  ({naive_q} queries)")
    print(f"naive / service + CSV: {naive_s / csv_s:.1f}×")
    stale_s, _, stale = timed(lambda: access_review.stale_members(90))
    print(f"stale members (90 days): {len(stale)} in {stale_s * 1000:.1f} ms")


if __name__ == "__main__":
    main()
