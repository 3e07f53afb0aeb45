"""Answer quality on the shipped samples: does the answer quote the sentence that answers?

    .venv/bin/python bench/answer_quality.py [--llm-base-url URL] [--llm-model NAME] [-v]

The three synthetic documents in samples/ go through the real pipeline (store, parse, chunk,
embed, index; no worker: each stage runs here) into a fresh matter of the bench database
(DOCPROC_BENCH_DATABASE_URL, default docproc_bench; Redis db 13). Then every question of
bench/data/answer_quality.json (written for this bench; each names the sentences or table rows
that answer it, and what a correct answer states) is asked:

- extractive: ``answers.ask(..., generate=False)``, the path an unverifiable model answer falls
  back to, forced. Right when a verified citation of the answer's document quotes one of the
  question's answer sentences (whole); for the questions the samples cannot answer, right when
  the answer is "not in the documents". The previous ranking (sentences sharing the question's
  rarer words, long multi-line sentences cut into lines) is scored on the same retrieved and
  compressed evidence in the same run, as "old".
- generated (only with ``--llm-base-url``, an OpenAI-compatible server such as
  ``.venv/bin/python manage.py serve_llm``): ``answers.ask`` as the service runs it. Verified
  when the model's own answer carries a verified citation (``method`` "generated"); correct
  when it also states every fact of the question. Unanswerable: declined ("not in the
  documents"). ``--generate-every K`` asks the model only every K-th question.

Token counts (the evidence budget) come from the server given, else from bench/llm_stub.py
started here with an 8,192-token context, the embedded server's default.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from harness import REPO, prepare_database, start_token_stub, unique_slug

QUESTIONS = REPO / "bench" / "data" / "answer_quality.json"
SAMPLES = REPO / "samples"
GOAL_RIGHT_SHARE = 0.90


@dataclass(frozen=True)
class Question:
    document: str | None
    question: str
    answers: tuple[str, ...]
    facts: tuple[str, ...]

    @property
    def answerable(self) -> bool:
        return self.document is not None


def load_questions(path: Path) -> list[Question]:
    rows = json.loads(path.read_text())["questions"]
    return [
        Question(r["document"], r["question"], tuple(r["answers"]), tuple(r["facts"])) for r in rows
    ]


def ingest_samples():
    from docproc.services import ingestion, matters

    ingestion.enqueue_processing = lambda document_id: None  # each stage runs here instead
    matter = matters.get_or_create_matter(unique_slug("bench-answers"))[0]
    for path in sorted(SAMPLES.glob("*.*")):
        if path.suffix not in {".pdf", ".docx", ".xlsx"}:
            continue
        document = ingestion.submit(matter, path.name, [path.read_bytes()]).document
        assert ingestion.parse(document.pk) and ingestion.chunk(document.pk), path
        assert ingestion.embed(document.pk) == 0 and ingestion.index(document.pk), path
    return matter


def reachable(client) -> bool:
    from docproc.pipeline.llm.client import LLMError

    try:
        client.context_length()
    except LLMError:
        return False
    return True


def holds_answer(quotes: list[tuple[str, str]], question: Question) -> bool:
    """Whether one of ``quotes`` ((filename, quote) pairs) holds an answer sentence whole."""
    from docproc.pipeline.text import normalize_for_comparison

    wanted = [normalize_for_comparison(a) for a in question.answers]
    return any(
        filename == question.document and any(w in normalize_for_comparison(quote) for w in wanted)
        for filename, quote in quotes
    )


def states_facts(text: str, question: Question) -> bool:
    from docproc.pipeline.text import normalize_for_comparison

    said = normalize_for_comparison(text)
    return all(
        any(normalize_for_comparison(alt) in said for alt in fact.split("|"))
        for fact in question.facts
    )


# --- the previous ranking, kept here to measure the change in the same run -----------------


def old_candidate_spans(text: str) -> list[tuple[int, int]]:
    """Sentences; a "sentence" over 300 characters with line breaks cut into its lines."""
    from docproc.pipeline.text import split_sentences

    spans = []
    for start, end in split_sentences(text):
        if end - start <= 300 or "\n" not in text[start:end]:
            spans.append((start, end))
            continue
        cursor = start
        for line in text[start:end].split("\n"):
            if line.strip():
                offset = text.index(line, cursor)
                spans.append((offset, offset + len(line)))
                cursor = offset + len(line)
    return spans


def old_extractive(question: str, evidence) -> list[tuple[str, str]] | None:
    """The sentences the previous ``answers._extractive`` quoted: the two sharing the most
    of the question's rarer content words (the second if at least half as good)."""
    from docproc.pipeline.answer.citations import content_words

    words = content_words(question)
    sentences = [(e, e.text[a:b]) for e in evidence for a, b in old_candidate_spans(e.text)]
    frequency = Counter(w for _, s in sentences for w in content_words(s))
    scored = []
    for order, (item, sentence) in enumerate(sentences):
        shared = words & content_words(sentence)
        if shared:
            scored.append((-sum(1.0 / frequency[w] for w in shared), order, item, sentence))
    if not scored:
        return None
    scored.sort()
    best = [row for row in scored[:2] if -row[0] >= -scored[0][0] / 2]
    return [(item.filename, sentence.strip()) for _, _, item, sentence in best]


# --------------------------------------------------------------------------------------------


@dataclass
class Row:
    question: Question
    new: bool
    old: bool
    new_quotes: list[tuple[str, str]]
    generated: str = ""  # "", "verified+correct", "verified", "unverified", "declined", ...


def run(
    matter, questions: list[Question], counting, model, verbose: bool, every: int = 1
) -> list[Row]:
    from docproc.services import answers, retrieval

    rows = []
    for number, q in enumerate(questions):
        forced = answers.ask(matter, q.question, client=counting, generate=False)
        new_quotes = [(c["filename"], c["quote"]) for c in forced.citations if c["verified"]]
        hits = retrieval.hybrid_search(matter, q.question, answers.RETRIEVE_K)
        old_quotes = (
            old_extractive(q.question, answers._fit(q.question, counting, hits).evidence)
            if hits
            else None
        )
        if q.answerable:
            new = forced.found and holds_answer(new_quotes, q)
            old = old_quotes is not None and holds_answer(old_quotes, q)
        else:
            new, old = not forced.found, old_quotes is None
        row = Row(q, new, old, new_quotes)
        if model is not None and number % every == 0:
            started = time.perf_counter()
            answer = answers.ask(matter, q.question, client=model)
            seconds = time.perf_counter() - started
            if not q.answerable:
                row.generated = "declined" if not answer.found else f"answered ({answer.method})"
            elif answer.method != "generated":
                row.generated = f"unverified ({answer.method})"
            else:
                row.generated = "verified" + ("+correct" if states_facts(answer.answer, q) else "")
            row.generated += f" {seconds:.1f}s"
        rows.append(row)
        mark = {True: "right", False: "WRONG"}
        print(
            f"{mark[new]:5} (old {mark[old]:5}) {row.generated:28} {q.question}",
            flush=True,
        )
        if verbose and not new:
            for filename, quote in new_quotes or [("", "(not in the documents)")]:
                print(f"        quoted {filename}: {' '.join(quote.split())[:300]}")
    return rows


def report(rows: list[Row], generated: bool) -> None:
    answerable = [r for r in rows if r.question.answerable]
    unanswerable = [r for r in rows if not r.question.answerable]
    n, m = len(answerable), len(unanswerable)
    new = sum(r.new for r in answerable)
    old = sum(r.old for r in answerable)
    print(f"\n== {n} answerable questions, {m} not answerable from the samples")
    print(
        f"extractive, right sentence quoted: new {new}/{n} = {new / n:.1%} "
        f"(goal {GOAL_RIGHT_SHARE:.0%}: {new / n / GOAL_RIGHT_SHARE:.2f} of it); "
        f"old {old}/{n} = {old / n:.1%} (new/old {new / old if old else float('inf'):.2f}x)"
    )
    declined_new = sum(r.new for r in unanswerable)
    declined_old = sum(r.old for r in unanswerable)
    print(
        f"extractive, 'not in the documents' when the samples cannot answer: new "
        f"{declined_new}/{m}, old {declined_old}/{m} (goal {m}/{m})"
    )
    if not generated:
        print(
            "generated: not measured (no --llm-base-url, or no server answered there); start "
            "one with `.venv/bin/python manage.py serve_llm` and pass its URL"
        )
        return
    asked = [r for r in answerable if r.generated]
    asked_none = [r for r in unanswerable if r.generated]
    n, m = len(asked), len(asked_none)
    verified = sum(r.generated.startswith("verified") for r in asked)
    correct = sum(r.generated.startswith("verified+correct") for r in asked)
    declined = sum(r.generated.startswith("declined") for r in asked_none)
    print(
        f"generated ({n} answerable and {m} unanswerable questions asked): verified "
        f"{verified}/{n} = {verified / max(n, 1):.1%}, verified and correct {correct}/{n} = "
        f"{correct / max(n, 1):.1%}; declined {declined}/{m} unanswerable"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llm-base-url", default=None, help="an OpenAI-compatible server")
    parser.add_argument("--llm-model", default="SmolLM2-135M-Instruct")
    parser.add_argument("--llm-timeout", type=float, default=300.0)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument(
        "--generate-every",
        type=int,
        default=1,
        metavar="K",
        help="ask the model only every K-th question (generation is slow on a few cores)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show wrong quotes")
    args = parser.parse_args()

    from docproc.pipeline import embed
    from docproc.pipeline.llm.client import LLMClient

    prepare_database()
    embed.set_threads(2)
    questions = load_questions(args.questions)
    started = time.perf_counter()
    matter = ingest_samples()
    print(f"ingested the samples in {time.perf_counter() - started:.1f} s")
    model = None
    if args.llm_base_url:
        model = LLMClient(args.llm_base_url, args.llm_model, timeout_s=args.llm_timeout)
        if not reachable(model):
            print(f"no server answers at {args.llm_base_url}: generated answers not measured")
            model = None
    stub = None
    if model is None:
        stub, url = start_token_stub(8192)
        counting = LLMClient(url, "SmolLM2-135M-Instruct")
        print("token counts from bench/llm_stub.py (8,192-token context)")
    else:
        counting = model
        print(f"token counts and generated answers from {args.llm_base_url} ({args.llm_model})")
    try:
        rows = run(matter, questions, counting, model, args.verbose, args.generate_every)
    finally:
        if stub is not None:
            stub.terminate()
            stub.wait()
    report(rows, model is not None)


if __name__ == "__main__":
    main()
