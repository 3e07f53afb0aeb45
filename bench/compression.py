"""Context compression: the top-20 hybrid-retrieved passages compressed to a 1,024-token budget.

    .venv/bin/python bench/compression.py [--pubmedqa N] [--tatqa N] [--cache FILE] [--embed N]

Same corpora and matters as bench/retrieval_recall.py. For each question: hybrid search
(k = 20), then ``compress`` to 1,024 tokens. Tokens are counted with the embedding model's
word pieces: the served LLM's tokenizer needs its server, and word pieces are a close proxy
for English prose (both are subword vocabularies of ~30-50k entries). Reported:
- compression: original tokens (the 20 passages rendered whole) / tokens used;
- evidence kept: of the gold evidence sentences that retrieval brought in (each lies wholly
  inside a retrieved passage), the share inside the kept evidence. Evidence sentences:
  - TAT-QA: sentences of the question's rel_paragraphs that contain a span answer (span and
    multi-span answers found in the text), or an operand of an arithmetic derivation found in
    the text (numbers other than years). Answers that exist only in the table have none, so
    those questions are left out.
  - PubMedQA: sentences of the gold abstract's RESULTS paragraph(s), where the findings a
    yes/no answer rests on are reported (the conclusion itself is not in the context). Also
    shown: the two sentences of the abstract that share most terms with the published
    conclusion (LONG_ANSWER), a narrower reading of "evidence".
- latency: p50/p95 of retrieve + compress (no generation), and of each step.
``--embed N`` also scores the first N questions' sentences by embedding similarity, next to the
same questions without it, to measure whether it pays for its cost.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness import percentile, summary_ms
from retrieval_recall import Loaded, Question, Span, arguments, setup

BUDGET = 1024
RETRIEVE_K = 20

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_YEAR = re.compile(r"(?:19|20)\d\d")


def sentence_spans(text: str, paragraphs: Sequence[Span]) -> list[Span]:
    from docproc.pipeline.text import split_sentences

    return [s for start, end in paragraphs for s in split_sentences(text, start, end)]


def tatqa_evidence(loaded: Loaded, question: Question) -> list[Span]:
    item = loaded.corpus.items[question.item]
    text = item.text.lower()
    raw = question.raw
    needles: list[str] = []
    if raw["answer_type"] in ("span", "multi-span"):
        needles = [str(a) for a in raw["answer"]]
    elif raw["answer_type"] == "arithmetic":
        needles = [
            n
            for n in _NUMBER.findall(raw.get("derivation", ""))
            if not _YEAR.fullmatch(n) and len(n.replace(",", "").replace(".", "")) >= 2
        ]
    found: list[Span] = []
    for needle in needles:
        needle = needle.lower().strip()
        if not needle:
            continue
        for start, end in question.gold:
            position = text.find(needle, start, end)
            while position != -1:
                found.append((position, position + len(needle)))
                position = text.find(needle, position + 1, end)
    sentences = sentence_spans(item.text, question.gold)
    return sorted({s for s in sentences for f in found if s[0] < f[1] and f[0] < s[1]})


def pubmedqa_results(loaded: Loaded, question: Question) -> list[Span]:
    item = loaded.corpus.items[question.item]
    results = [span for span, label in zip(item.paragraphs, item.labels, strict=True)
               if "RESULT" in label.upper()]  # fmt: skip
    return sentence_spans(item.text, results)


def pubmedqa_conclusion(loaded: Loaded, question: Question) -> list[Span]:
    from docproc.pipeline.answer.lexical import tokenize

    item = loaded.corpus.items[question.item]
    conclusion = set(tokenize(question.raw["LONG_ANSWER"]))
    sentences = sentence_spans(item.text, item.paragraphs)
    overlap = [(len(conclusion & set(tokenize(item.text[s:e]))), -s, (s, e)) for s, e in sentences]
    return sorted(span for _, _, span in sorted(overlap, reverse=True)[:2])


def inside(span: Span, spans: Sequence[Span]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in spans)


@dataclass
class Tally:
    name: str
    original: list[int] = field(default_factory=list)
    used: list[int] = field(default_factory=list)
    retrieved: int = 0
    kept: int = 0
    questions_with_evidence: int = 0
    questions_all_kept: int = 0

    def add(self, retrieved: list[Span], kept_spans: list[Span]) -> None:
        if not retrieved:
            return
        kept = sum(1 for s in retrieved if inside(s, kept_spans))
        self.retrieved += len(retrieved)
        self.kept += kept
        self.questions_with_evidence += 1
        self.questions_all_kept += kept == len(retrieved)

    def line(self) -> str:
        share = 100 * self.kept / self.retrieved if self.retrieved else float("nan")
        whole = 100 * self.questions_all_kept / max(1, self.questions_with_evidence)
        return (
            f"{self.name}: kept {self.kept}/{self.retrieved} retrieved evidence sentences "
            f"({share:.1f}%) over {self.questions_with_evidence} questions; all of it kept for "
            f"{whole:.1f}% of them"
        )


def run(
    loaded: Loaded,
    evidence: dict[str, Callable[[Loaded, Question], list[Span]]],
    embed: Callable | None = None,
    limit: int | None = None,
) -> None:
    from docproc.pipeline.answer.compress import compress
    from docproc.pipeline.wordpieces import word_piece_counter
    from docproc.services import retrieval

    count = word_piece_counter().count
    tallies = {name: Tally(name) for name in evidence}
    original, used, ratios = [], [], []
    retrieve_s, compress_s, total_s = [], [], []
    evidence_items, left_out_pages = [], []
    for question in loaded.corpus.questions:
        if limit is not None and len(original) == limit:
            break
        wanted = {name: f(loaded, question) for name, f in evidence.items()}
        if not any(wanted.values()):
            continue
        started = time.perf_counter()
        hits = retrieval.hybrid_search(loaded.matter, question.text, RETRIEVE_K)
        middle = time.perf_counter()
        context = compress(question.text, hits, BUDGET, count, embed=embed)
        done = time.perf_counter()
        retrieve_s.append(middle - started)
        compress_s.append(done - middle)
        total_s.append(done - started)
        original.append(context.original_tokens)
        used.append(context.tokens_used)
        ratios.append(context.compression_ratio)
        evidence_items.append(len(context.evidence))
        left_out_pages.append(len(context.pages_left_out))
        document = loaded.documents[question.item]
        passages = [(h.char_start, h.char_end) for h in hits if h.document == document]
        kept = [(e.char_start, e.char_end) for e in context.evidence if e.document == document]
        for name, spans in wanted.items():
            tallies[name].add([s for s in spans if inside(s, passages)], kept)
    n = len(original)
    how = "with embedding similarity" if embed else "lexical + prior"
    print(f"\n== {loaded.corpus.name}: {n} questions with evidence defined; scoring {how}")
    print(
        f"tokens (word pieces): original p50 {percentile(original, 50):.0f} "
        f"(mean {sum(original) / n:.0f}), used p50 {percentile(used, 50):.0f} "
        f"(mean {sum(used) / n:.0f}, max {max(used)}, budget {BUDGET})"
    )
    print(
        f"compression ratio: overall {sum(original) / sum(used):.2f}x, per question p50 "
        f"{percentile(ratios, 50):.2f}x, p5 {percentile(ratios, 5):.2f}x; evidence items p50 "
        f"{percentile(evidence_items, 50):.0f}; pages left out p50 "
        f"{percentile(left_out_pages, 50):.0f}"
    )
    for tally in tallies.values():
        print(tally.line())
    print(f"retrieve (hybrid, k={RETRIEVE_K}): {summary_ms(retrieve_s)}")
    print(f"compress:                     {summary_ms(compress_s)}")
    print(f"retrieve + compress:          {summary_ms(total_s)}")


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument(
        "--embed",
        type=int,
        default=0,
        metavar="N",
        help="also compare scoring with embedding similarity on the first N questions",
    )
    args = parser.parse_args()
    embedder, loaded = setup(args)
    embedder.save()
    pubmed, tat = loaded
    pubmed_evidence = {
        "PubMedQA RESULTS sentences": pubmedqa_results,
        "PubMedQA conclusion-matched sentences": pubmedqa_conclusion,
    }
    tat_evidence = {"TAT-QA answer sentences": tatqa_evidence}
    run(pubmed, pubmed_evidence)
    run(tat, tat_evidence)
    if args.embed:
        from docproc.pipeline.embed import embed_texts

        for corpus, evidence in ((pubmed, pubmed_evidence), (tat, tat_evidence)):
            run(corpus, evidence, None, args.embed)
            run(corpus, evidence, embed_texts, args.embed)


if __name__ == "__main__":
    main()
