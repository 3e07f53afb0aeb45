"""Audit flooding: an anonymous client at one address sends 1,000 bad bearer tokens and 200
bad sign-ins; how many audit records that writes, how many requests are refused (429), and how
long it takes. Run once with the failure counters (Redis) and once without them (Redis
unreachable: every failure recorded and none refused, as before the counters existed).

    DOCPROC_BENCH_DATABASE_URL=postgres://... DOCPROC_BENCH_REDIS_URL=redis://... \\
        .venv/bin/python bench/audit_flood.py [TOKENS] [SIGN_INS]
"""

from __future__ import annotations

import socket
import sys
import time
from collections import Counter

from django.conf import settings
from django.test import Client
from harness import prepare_database  # sets the environment before Django loads
from rest_framework.test import APIClient

from docproc.models import AuditEvent
from docproc.services.audit import flood

ADDRESS = "203.0.113.66"
BAD_TOKEN = "Bearer dp_" + "z" * 43


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def attack(tokens: int, sign_ins: int) -> tuple[int, Counter[int], float]:
    before = AuditEvent.objects.count()
    statuses: Counter[int] = Counter()
    api, web = APIClient(), Client()
    started = time.perf_counter()
    for _ in range(tokens):
        response = api.get("/api/v1/matters/", HTTP_AUTHORIZATION=BAD_TOKEN, REMOTE_ADDR=ADDRESS)
        statuses[response.status_code] += 1
    for n in range(sign_ins):
        response = web.post(
            "/login/", {"username": "partner", "password": f"guess-{n}"}, REMOTE_ADDR=ADDRESS
        )
        statuses[response.status_code] += 1
    elapsed = time.perf_counter() - started
    return AuditEvent.objects.count() - before, statuses, elapsed


def report(label: str, rows: int, statuses: Counter[int], elapsed: float, total: int) -> None:
    print(
        f"{label}: {total} requests in {elapsed:.1f} s ({total / elapsed:.0f}/s); audit rows "
        f"written: {rows}; refused (429): {statuses[429]}; "
        f"statuses: {dict(sorted(statuses.items()))}"
    )


def main() -> None:
    tokens = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    sign_ins = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    prepare_database()
    client = flood._client()
    for key in client.scan_iter(match=f"{flood.KEY_PREFIX}*"):
        client.delete(key)
    print(
        f"limits: window {settings.AUTH_FAILURE_WINDOW_S} s, "
        f"{settings.TOKEN_FAILURES_PER_ADDRESS} failed tokens per address, sign-in lockout after "
        f"{settings.SIGN_IN_FAILURES_PER_USERNAME} per name / "
        f"{settings.SIGN_IN_FAILURES_PER_ADDRESS} per address"
    )
    report("with the counters", *attack(tokens, sign_ins), tokens + sign_ins)
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens: fail open
    report("without (Redis unreachable)", *attack(tokens, sign_ins), tokens + sign_ins)


if __name__ == "__main__":
    main()
