"""Prefill and decode speed of the embedded LLM (SmolLM2-135M-Instruct via ``manage.py
serve_llm``), measured through docproc's own client with streaming: prefill = prompt tokens /
time to the first delta, decode = further tokens / time from the first delta to the last.

    .venv/bin/python bench/llm_speed.py [--threads 1,2] [--prompt-words 600] [--runs 3]
    .venv/bin/python bench/llm_speed.py --base-url http://127.0.0.1:8001/v1   # a running server

Each thread count gets a fresh server on a free port. Every prompt starts differently, so
llama.cpp's prompt cache cannot shorten the prefill. Prints one line per configuration.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from harness import start_llm_server  # sets Django up

from docproc.pipeline.llm.client import ChatMessage, Completion, LLMClient

WORDS = (
    "the supplier shall deliver the goods within thirty days of the purchase order and the "
    "customer shall pay each invoice within sixty days unless the agreement is terminated"
).split()


def measure(client: LLMClient, prompt_words: int, answer_tokens: int, seed: int) -> tuple:
    rng = random.Random(seed)
    text = f"Note {seed}: " + " ".join(rng.choice(WORDS) for _ in range(prompt_words))
    messages = [ChatMessage("system", "Summarise the note."), ChatMessage("user", text)]
    started = time.monotonic()
    first = None
    completion = None
    for item in client.stream_chat(messages, max_tokens=answer_tokens):
        if isinstance(item, Completion):
            completion = item
        elif first is None:
            first = time.monotonic()
    end = time.monotonic()
    assert completion is not None and first is not None
    prefill = completion.prompt_tokens / (first - started)
    decode = (completion.completion_tokens - 1) / (end - first) if end > first else 0.0
    return prefill, decode, completion.prompt_tokens, completion.completion_tokens


def report(label: str, client: LLMClient, args: argparse.Namespace) -> None:
    measure(client, 20, 4, seed=-1)  # warm-up
    runs = [
        measure(client, args.prompt_words, args.answer_tokens, seed) for seed in range(args.runs)
    ]
    prefill = statistics.median(r[0] for r in runs)
    decode = statistics.median(r[1] for r in runs)
    print(
        f"{label}: prefill {prefill:.0f} tok/s, decode {decode:.0f} tok/s "
        f"(median of {args.runs}; prompts of {runs[0][2]} tokens, answers of "
        f"{statistics.median(r[3] for r in runs):.0f} tokens; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,2", help="thread counts to compare, e.g. 1,2")
    parser.add_argument("--base-url", help="measure this running server instead")
    parser.add_argument("--model", help="GGUF to serve (default: the bundled SmolLM2)")
    parser.add_argument("--ctx", type=int, default=2048)
    parser.add_argument("--prompt-words", type=int, default=600)
    parser.add_argument("--answer-tokens", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.base_url:
        with LLMClient(args.base_url, "bench", timeout_s=300) as client:
            report(args.base_url, client, args)
        return
    for threads in [int(t) for t in args.threads.split(",")]:
        process, base_url = start_llm_server(args.ctx, threads, model=args.model)
        try:
            with LLMClient(base_url, "bench", timeout_s=300) as client:
                report(f"{threads} thread(s)", client, args)
        finally:
            process.terminate()
            process.wait(30)


if __name__ == "__main__":
    main()
