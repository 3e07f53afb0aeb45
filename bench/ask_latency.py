"""Ask latency on the three shipped samples with the embedded model, the share of questions a
large endpoint takes (routed or escalated), and the answer latency with the model server down.

    .venv/bin/python bench/ask_latency.py                      # starts two SmolLM2 servers
    .venv/bin/python bench/ask_latency.py --base-url http://127.0.0.1:8001/v1 \\
        [--large-base-url http://127.0.0.1:8002/v1]            # servers already running
    .venv/bin/python bench/ask_latency.py --no-large           # the small model only

The samples are ingested in this process (the real pipeline stages, no worker) into a fresh
matter; every question is asked through ``answers.stream_ask`` as the API streams it. Phases,
all in the same run so their ratios compare like with like:

1. *small only*: the embedded model (SmolLM2 via ``manage.py serve_llm``) is the only model —
   time to the first streamed token (TTFT) and to the checked answer, p50/p95;
2. *small + large*: a second endpoint (another SmolLM2 server unless ``--large-base-url``) as
   the large model — the same latencies, and how many questions were routed to it (by reason)
   or escalated after an unverified small answer (servers started here are fresh for this
   phase: llama.cpp's prompt cache would otherwise shorten the prompts phase 1 already sent);
3. *model down*: an address nobody listens on — the extractive fallback's latency, the first
   question (which pays the client's retries: ``DOCPROC_LLM_MAX_RETRIES``) and the next ones
   (the endpoint is remembered as down for ``DOCPROC_LLM_DOWN_COOLDOWN_S``).

Uses its own Redis database and database (``DOCPROC_BENCH_REDIS_URL``, ``_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import collections
import time

from django.conf import settings
from harness import (  # sets Django up
    REPO,
    free_llm_url,
    percentile,
    prepare_database,
    start_llm_server,
    unique_slug,
)

from docproc.services import answers, ingestion, matters, routing

SAMPLES = REPO / "samples"
# Fifteen questions about the samples: lookups, three that need a calculation, two that no
# sample answers.
QUESTIONS = [
    "Who are the parties to the agreement?",
    "What is the ratio of total liabilities to total assets?",
    "When does the initial term of the agreement end?",
    "What is the termination notice period?",
    "Which law governs the agreement?",
    "What are the payment terms in Section 4.2(b)?",
    "What is the patient's principal diagnosis?",
    "What dose of metoprolol succinate was the patient discharged on?",
    "Which medication was discontinued at discharge?",
    "What was the left ventricular ejection fraction?",
    "What was Kestrelmoor's revenue in fiscal year 2024?",
    "By how much did revenue grow from 2023 to 2024?",
    "What percentage of revenue was net income in 2024?",
    "What is the capital of Peru?",
    "Who won the football world cup in 1998?",
]


def ingest_samples():
    """The three samples through every pipeline stage, in this process."""
    ingestion.enqueue_processing = lambda document_id: None  # no worker: stages run below
    matter = matters.get_or_create_matter(unique_slug("ask-latency"))[0]
    for path in sorted(SAMPLES.glob("*.*")):
        if path.suffix not in {".pdf", ".docx", ".xlsx"}:
            continue
        document = ingestion.submit(matter, path.name, [path.read_bytes()]).document
        assert ingestion.parse(document.pk) and ingestion.chunk(document.pk)
        assert ingestion.embed(document.pk) == 0 and ingestion.index(document.pk)
    return matter


def ask_timed(matter, question: str) -> dict:
    """One streamed question: time to the first token (None when no model wrote any), to
    the checked answer, and the answer's method and routing."""
    started = time.monotonic()
    first = None
    final = None
    for event in answers.stream_ask(matter, question):
        if event["type"] == "delta" and first is None:
            first = time.monotonic() - started
        elif event["type"] == "answer":
            final = event
    assert final is not None
    return {
        "ttft": first,
        "total": time.monotonic() - started,
        "method": final["method"],
        "routing": final["routing"],
    }


def phase(matter, label: str) -> list[dict]:
    ask_timed(matter, "What is the effective date of the agreement?")  # warm-up, not counted
    rows = []
    for question in QUESTIONS:
        row = ask_timed(matter, question)
        rows.append(row)
        print(
            f"  {label}: {row['total']:6.2f} s  {row['method']:<10} "
            f"{row['routing']['endpoint'] or '-':<5} {row['routing']['reason']:<20} {question}",
            flush=True,
        )
    return rows


def p(values: list[float], pct: float) -> float:
    return percentile(values, pct)


def report(label: str, rows: list[dict]) -> dict:
    totals = [r["total"] for r in rows]
    ttfts = [r["ttft"] for r in rows if r["ttft"] is not None]
    methods = collections.Counter(r["method"] for r in rows)
    print(
        f"{label}: whole answer p50 {p(totals, 50):.2f} s, p95 {p(totals, 95):.2f} s; "
        f"first token p50 {p(ttfts, 50):.2f} s, p95 {p(ttfts, 95):.2f} s "
        f"(n={len(ttfts)} with model text of {len(rows)}); methods {dict(methods)}"
    )
    return {"p50": p(totals, 50), "p95": p(totals, 95), "ttft50": p(ttfts, 50)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="a running small-model server (default: start one)")
    parser.add_argument("--large-base-url", help="a running large-model server")
    parser.add_argument("--no-large", action="store_true", help="skip the two-model phase")
    parser.add_argument("--ctx", type=int, default=8192, help="context of servers started here")
    parser.add_argument("--threads", type=int, default=1, help="threads of servers started here")
    args = parser.parse_args()

    prepare_database()
    processes = []
    try:
        small_url = args.base_url
        if not small_url:
            process, small_url = start_llm_server(args.ctx, args.threads, name="smollm2-small")
            processes.append(process)
        small_model = "smollm2-small" if not args.base_url else settings.LLM_MODEL
        settings.LLM_BASE_URL, settings.LLM_MODEL = small_url, small_model
        settings.LLM_LARGE_BASE_URL = ""
        print(f"ingesting {SAMPLES} ...", flush=True)
        started = time.monotonic()
        matter = ingest_samples()
        print(f"ingested in {time.monotonic() - started:.1f} s; {len(QUESTIONS)} questions")

        small = report("small only", phase(matter, "small"))

        both = None
        if not args.no_large:
            if not args.base_url:
                # A fresh small server: llama.cpp caches each slot's last prompt, and the small
                # phase just sent the same prompts.
                processes.pop(0).terminate()
                process, small_url = start_llm_server(args.ctx, args.threads, name="smollm2-small")
                processes.append(process)
                settings.LLM_BASE_URL = small_url
            large_url = args.large_base_url
            if not large_url:
                process, large_url = start_llm_server(args.ctx, args.threads, name="smollm2-large")
                processes.append(process)
            settings.LLM_LARGE_BASE_URL = large_url
            settings.LLM_LARGE_MODEL = "smollm2-large" if not args.large_base_url else ""
            rows = phase(matter, "both ")
            both = report("small + large", rows)
            asked = [r for r in rows if r["routing"]["reason"] != routing.NO_MODEL_NEEDED]
            reasons = collections.Counter(r["routing"]["reason"] for r in rows)
            escalated = sum(r["routing"]["escalated"] for r in rows)
            on_large = sum(r["routing"]["endpoint"] == routing.LARGE for r in rows)
            print(
                f"small + large: {on_large} of {len(asked)} questions a model answered were "
                f"answered by the large model ({on_large / max(len(asked), 1):.0%}); escalated "
                f"after an unverified small answer: {escalated} "
                f"({escalated / max(len(asked), 1):.0%}); reasons {dict(reasons)}"
            )
            settings.LLM_LARGE_BASE_URL = ""

        settings.LLM_BASE_URL = free_llm_url()  # nobody listens: the extractive fallback
        routing.forget_unavailable()
        first = ask_timed(matter, QUESTIONS[3])
        print(
            f"model down, first question (retries {settings.LLM_MAX_RETRIES}): "
            f"{first['total']:.2f} s ({first['method']})"
        )
        down = report("model down (remembered)", phase(matter, "down "))
        settings.LLM_DOWN_COOLDOWN_S = 0
        routing.forget_unavailable()
        every = report("model down (asked every time)", phase(matter, "down0"))

        ratios = [
            ("fallback p50 / small-only whole answer p50", down["p50"] / small["p50"]),
            ("fallback asked every time p50 / small-only p50", every["p50"] / small["p50"]),
            ("first fallback / small-only whole answer p50", first["total"] / small["p50"]),
            ("small-only first token p50 / whole answer p50", small["ttft50"] / small["p50"]),
        ]
        if both:
            ratios.append(
                ("small + large whole answer p50 / small-only p50", both["p50"] / small["p50"])
            )
        print("ratios (same run):")
        for label, value in ratios:
            print(f"  {label}: {value:.3f}")
    finally:
        for process in processes:
            process.terminate()
            process.wait(20)


if __name__ == "__main__":
    main()
