"""BM25 index speed: building it over 10,000 chunks of 150 words, and one query, against the
budgets it was designed for (build under 1 s: it is rebuilt in each web worker whenever the
matter's vector index changes; a query under 5 ms: it runs beside a FAISS search per question).

    .venv/bin/python bench/lexical_speed.py [--chunks 10000] [--queries 100]

Synthetic text (20,000 distinct words plus identifiers such as "4.2(b)" and "ACC-00931"), so it
needs no data and runs anywhere; bench/search_latency.py measures the service on real passages.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import harness  # noqa: F401  (sets up Django and the import path)

from docproc.pipeline.answer.lexical import LexicalIndex

BUILD_BUDGET_S = 1.0
QUERY_BUDGET_MS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = random.Random(1)
    words = [f"w{n}" for n in range(20_000)] + "section 4.2(b) acc-00931 1,250,000".split()
    texts = [" ".join(rng.choices(words, k=150)) for _ in range(args.chunks)]
    LexicalIndex.build(list(range(100)), texts[:100])  # imports and caches warm

    builds = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        index = LexicalIndex.build(list(range(args.chunks)), texts)
        builds.append(time.perf_counter() - started)
    queries = []
    for n in range(args.queries):
        started = time.perf_counter()
        index.search(f"w{n} w{n + 1} section 4.2(b) acc-00931", 50)
        queries.append((time.perf_counter() - started) * 1000)

    build = statistics.median(builds)
    query = statistics.median(queries)
    p95 = sorted(queries)[int(0.95 * (len(queries) - 1))]
    print(f"BM25 over {args.chunks:,} chunks of 150 words")
    build_ratio = build / BUILD_BUDGET_S
    query_ratio = query / QUERY_BUDGET_MS
    print(f"  build: median {build:.2f} s of {args.repeats} ({build_ratio:.2f}x its 1 s budget)")
    print(f"  query (top 50): p50 {query:.2f} ms, p95 {p95:.2f} ms ({query_ratio:.2f}x its 5 ms)")


if __name__ == "__main__":
    main()
