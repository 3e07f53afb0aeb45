"""Extractive answers on whole real filings: does the answer quote an evidence page, and do the
numbers it cites match the analyst's answer?

    .venv/bin/python bench/financebench_answers.py [--questions N] [--documents N]
        [--cache-dir DIR] [-v]

Same corpus, ingestion and caches as bench/financebench_recall.py (run that first: with its
cache this one takes minutes). Every question is asked with ``answers.ask(...,
generate=False)``: the answer a user gets when the model is down or its answer cannot be
verified, i.e. the quoted sentences or table rows docproc's own ranking picks. Token counts come
from bench/llm_stub.py with the embedded server's 8,192-token context. Printed:

- evidence quoted: the share of questions whose answer has a verified citation on one of the
  question's evidence pages (of its filing);
- numbers match: the share whose cited quotes hold a number of the gold answer (years left out;
  a figure in millions matches one stated in billions or thousands; equal at the gold's
  precision). Many FinanceBench answers are computed (ratios, margins, growth), so no quote can
  hold them: the share is also given over the questions whose gold number is printed on an
  evidence page ("attainable"), the fair ceiling for a quoting answer;
- declined: the share answered "not in the documents" (every question here is answerable).
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass
from pathlib import Path

from financebench_recall import FINANCEBENCH, EmbeddingCache, ParseCache, ingest, questions
from harness import REPO, prepare_database, start_token_stub

YEAR = re.compile(r"(199|20[0-3])\d")
NUMBER = re.compile(r"(?<![\w.])\(?-?\$?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(%|percent)?")


@dataclass(frozen=True)
class Figure:
    value: float
    decimals: int
    percent: bool


def figures(text: str) -> list[Figure]:
    """The numbers stated in ``text`` (years 1990-2039 written bare left out)."""
    found = []
    for match in NUMBER.finditer(text):
        whole, fraction, percent = match.group(1), match.group(2) or "", match.group(3)
        bare = not fraction and not percent and "," not in whole
        if bare and YEAR.fullmatch(whole):
            continue
        value = float(whole.replace(",", "") + fraction)
        found.append(Figure(value, max(len(fraction) - 1, 0), bool(percent)))
    return found


def same_figure(gold: Figure, cited: Figure) -> bool:
    """Equal at the gold figure's precision, allowing a change of scale by 1,000 (millions
    stated as billions or thousands) for amounts."""
    tolerance = 0.5 * 10**-gold.decimals if gold.decimals else 0.5
    scales = (1.0,) if gold.percent else (1.0, 1e3, 1e-3)
    return any(abs(cited.value * s - gold.value) <= tolerance for s in scales)


def matches(gold_text: str, cited_text: str) -> bool:
    golds = [g for g in figures(gold_text) if g.value != 0]
    cited = figures(cited_text)
    return any(same_figure(g, c) for g in golds for c in cited)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=None)
    parser.add_argument("--documents", type=int, default=None)
    parser.add_argument("--cache-dir", type=Path, default=REPO / "var" / "bench-cache")
    parser.add_argument("-v", "--verbose", action="store_true", help="each question's quotes")
    args = parser.parse_args()

    import json

    from docproc.models import Page
    from docproc.pipeline import embed
    from docproc.pipeline.ingest import parse
    from docproc.pipeline.llm.client import LLMClient
    from docproc.services import answers

    prepare_database()
    embed.set_threads(2)
    paths = sorted((FINANCEBENCH / "pdfs").glob("*.pdf"))[: args.documents]
    items = [q for q in questions(args.questions) if q.document in {p.stem for p in paths}]
    gold = {}
    for line in (FINANCEBENCH / "questions.jsonl").read_text().splitlines():
        raw = json.loads(line)
        gold[raw["question"]] = raw["answer"]
    parse_cache = ParseCache(args.cache_dir, parse.parse_document)
    embeddings = EmbeddingCache(args.cache_dir, embed.embed_texts)
    started = time.perf_counter()
    matter, _ = ingest(paths, parse_cache, embeddings)
    print(f"ingested {len(paths)} filings in {time.perf_counter() - started:.1f} s")
    answers.embed_texts = embeddings  # sentence ranking embeds the candidates: cached too

    stub, url = start_token_stub(8192)
    client = LLMClient(url, "SmolLM2-135M-Instruct")
    quoted_evidence = numbers = attainable = numbers_attainable = declined = 0
    seconds = []
    try:
        for q in items:
            evidence_text = " ".join(
                Page.objects.filter(
                    document__matter=matter,
                    document__filename=f"{q.document}.pdf",
                    number__in=q.pages,
                ).values_list("text", flat=True)
            )
            started = time.perf_counter()
            answer = answers.ask(matter, q.text, client=client, generate=False)
            seconds.append(time.perf_counter() - started)
            cited = [c for c in answer.citations if c["verified"]]
            on_evidence = any(
                c["filename"].rsplit(".", 1)[0] == q.document and c["page"] in q.pages
                for c in cited
            )
            number_match = matches(gold[q.text], " ".join(c["quote"] for c in cited))
            can_match = matches(gold[q.text], evidence_text)
            quoted_evidence += on_evidence
            numbers += number_match
            attainable += can_match
            numbers_attainable += number_match and can_match
            declined += not answer.found
            mark = "evidence" if on_evidence else "elsewhere" if answer.found else "declined"
            print(f"{mark:9} {'numbers' if number_match else '-':7} {q.text[:100]}", flush=True)
            if args.verbose:
                for c in cited:
                    print(f"      p{c['page']} {' '.join(c['quote'].split())[:200]}")
                print(f"      gold: {gold[q.text][:200]}")
    finally:
        stub.terminate()
    n = len(items)
    print(f"\n== {n} FinanceBench questions, extractive answers (no model)")
    print(f"answer quotes an evidence page: {quoted_evidence}/{n} = {quoted_evidence / n:.1%}")
    print(f"cited numbers match the gold answer: {numbers}/{n} = {numbers / n:.1%}")
    print(
        f"  over the {attainable} questions whose gold number is printed on an evidence page: "
        f"{numbers_attainable}/{attainable} = {numbers_attainable / max(attainable, 1):.1%}"
    )
    print(f"declined ('not in the documents'): {declined}/{n}")
    seconds.sort()
    print(f"time per answer: p50 {seconds[n // 2]:.2f} s, p95 {seconds[int(n * 0.95)]:.2f} s")


if __name__ == "__main__":
    main()
