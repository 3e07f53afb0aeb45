"""Recall of the gold passage: dense search, hybrid search, and a naive baseline, in one run.

    .venv/bin/python bench/retrieval_recall.py [--pubmedqa N] [--tatqa N] [--cache FILE]
        [--chunk-tokens N] [--sweep]

Two corpora, each its own matter (../shared/data):
- medical: PubMedQA (ori_pqal.json); one document per abstract, its context paragraphs as one
  page (blank lines between). A question's gold passage is its own abstract's context.
- financial: TAT-QA dev; one document per report excerpt, its text paragraphs as one page. A
  question's gold passages are its ``rel_paragraphs``; each report's table is in the corpus
  too (a row a line, cells separated by " | ", marked as a table block as the parsers mark
  one), and is gold for table questions, with the related paragraphs for table-text ones.

Systems, all with the same embedder (all-MiniLM-L6-v2) and the same queries:
- baseline: fixed 1,000-character windows with 200 characters of overlap over each page,
  in a flat exact FAISS index (no structure, no lexical search);
- dense: the project's chunker (``chunk_pages`` with the service's settings, or
  ``--chunk-tokens``) and dense search (``services.dense_search.search``);
- hybrid: the same chunks, ``services.retrieval.hybrid_search`` (dense + BM25, RRF).
A retrieved chunk counts as gold if its character span overlaps a gold passage's span in the
same document. Recall@k is the share of questions with a gold chunk among the first k.
At the service's default of 200 word pieces the project's chunks hold less text than the
baseline's windows, which makes overlapping a gold passage easier for the baseline;
``--chunk-tokens 254`` (the most the embedder takes) makes the sizes about equal. Mean sizes
are printed so the comparison can be judged.

``--cache FILE`` keeps passage embeddings between runs (an .npz keyed by text hash).
``--sweep`` also fuses the dense and lexical rankings offline with other RRF settings.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from harness import SHARED_DATA, prepare_database, summary_ms, unique_slug

Span = tuple[int, int]

BASELINE_CHARS = 1000
BASELINE_OVERLAP = 200


@dataclass
class Item:
    """One document of a corpus: its single page of text and its paragraphs' spans."""

    key: str
    filename: str
    text: str
    paragraphs: list[Span]
    labels: list[str] = field(default_factory=list)
    table: Span | None = None  # the span of its table, if it has one


@dataclass
class Question:
    text: str
    item: str
    gold: list[Span]  # spans of the gold passage(s) in the item's page text
    raw: dict = field(default_factory=dict)


@dataclass
class Corpus:
    name: str
    items: dict[str, Item]
    questions: list[Question]
    note: str = ""


def _page(paragraphs: Sequence[str]) -> tuple[str, list[Span]]:
    text, spans = "", []
    for paragraph in paragraphs:
        if text:
            text += "\n\n"
        spans.append((len(text), len(text) + len(paragraph)))
        text += paragraph
    return text, spans


def pubmedqa(limit: int | None) -> Corpus:
    data = json.loads((SHARED_DATA / "pubmedqa" / "ori_pqal.json").read_text())
    items, questions = {}, []
    for pmid, entry in list(data.items())[:limit]:
        text, spans = _page([c.strip() for c in entry["CONTEXTS"]])
        items[pmid] = Item(pmid, f"pubmed-{pmid}.txt", text, spans, list(entry["LABELS"]))
        questions.append(Question(entry["QUESTION"], pmid, [(0, len(text))], entry))
    return Corpus("PubMedQA (medical)", items, questions, f"{len(questions)} questions")


def tatqa(limit: int | None) -> Corpus:
    data = json.loads((SHARED_DATA / "tatqa" / "tatqa_dataset_dev.json").read_text())
    items, questions = {}, []
    for entry in data:
        key = entry["table"]["uid"]
        paragraphs = sorted(entry["paragraphs"], key=lambda p: p["order"])
        # The table first, as docproc's office parser renders one: a row a line, cells
        # separated by " | " (a table block), then the report's paragraphs.
        table = "\n".join(" | ".join(c.strip() for c in row) for row in entry["table"]["table"])
        text, spans = _page([table] + [p["text"].strip() for p in paragraphs])
        items[key] = Item(key, f"report-{key[:8]}.txt", text, spans[1:], table=spans[0])
        for q in entry["questions"]:
            gold = [spans[int(r)] for r in q["rel_paragraphs"]]
            if q["answer_from"] in ("table", "table-text"):
                gold.append(spans[0])
            questions.append(Question(q["question"], key, gold, q))
    questions = questions[:limit]
    wanted = {q.item for q in questions}
    # Keep every report in the corpus (distractors), whatever the question sample.
    note = (
        f"{len(questions)} questions, tables in the corpus (gold: the table for table "
        f"questions, table and related paragraphs for table-text ones); questions on "
        f"{len(wanted)} of {len(items)} reports"
    )
    return Corpus("TAT-QA dev (financial, paragraphs and tables)", items, questions, note)


class Embedder:
    """``embed_texts`` with an optional on-disk cache keyed by each text's SHA-1."""

    def __init__(self, cache: Path | None) -> None:
        from docproc.pipeline import embed

        self._embed = embed.embed_texts
        self._path = cache
        self._vectors: dict[str, np.ndarray] = {}
        self.seconds = 0.0
        self.embedded = 0
        if cache is not None and cache.exists():
            stored = np.load(cache)
            self._vectors = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    def __call__(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}.items()
        )
        if missing:
            started = time.perf_counter()
            vectors = self._embed([t for _, t in missing], batch_size=batch_size)
            self.seconds += time.perf_counter() - started
            self.embedded += len(missing)
            self._vectors.update(zip([k for k, _ in missing], vectors, strict=True))
        return (
            np.stack([self._vectors[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)
        )

    def save(self) -> None:
        if self._path is not None and self.embedded:
            keys = np.array(list(self._vectors))
            np.savez(self._path, keys=keys, vectors=np.stack(list(self._vectors.values())))


@dataclass
class Loaded:
    """A corpus stored as a matter: document ids by item key and chunk spans by chunk id."""

    corpus: Corpus
    matter: object
    documents: dict[str, int]
    item_of_document: dict[int, str]
    chunk_count: int
    mean_chunk_chars: float
    mean_chunk_word_pieces: float


def load(corpus: Corpus, embedder: Embedder, max_tokens: int | None = None) -> Loaded:
    """Store each item as a one-page document and run the pipeline's own chunk and embed
    stages on it (section and document headers included; embeddings through ``embedder``),
    then build the matter's index once."""
    from django.conf import settings

    from docproc.models import Chunk, Document, Page
    from docproc.services import indexes, ingestion, matters

    matter = matters.get_or_create_matter(unique_slug("bench-recall"))[0]
    ingestion.embed_texts = embedder
    if max_tokens:
        settings.CHUNK_MAX_TOKENS = max_tokens
    documents: dict[str, int] = {}
    for item in corpus.items.values():
        document = Document.objects.create(
            matter=matter,
            sha256=hashlib.sha256(f"{matter.slug}/{item.key}".encode()).hexdigest(),
            filename=item.filename,
            file_type="txt",
            size_bytes=len(item.text.encode()),
            status="chunking",
            page_count=1,
        )
        Page.objects.create(document=document, number=1, text=item.text, blocks=_blocks(item))
        documents[item.key] = document.pk
        ingestion.chunk(document.pk)
    chunks = Chunk.objects.filter(document__matter=matter)
    # One batch for the whole corpus (as fast as the worker's batches), then each document's
    # embed stage finds its vectors in the cache.
    embedder(list(chunks.values_list("text", flat=True)))
    for pk in documents.values():
        ingestion.embed(pk)
    Document.objects.filter(matter=matter).update(status="indexed")
    indexes.rebuild(matter)
    texts = list(chunks.values_list("text", flat=True))
    sizes = list(chunks.values_list("token_count", flat=True))
    return Loaded(
        corpus,
        matter,
        documents,
        {pk: key for key, pk in documents.items()},
        len(texts),
        float(np.mean([len(t) for t in texts])),
        float(np.mean(sizes)),
    )


def _blocks(item: Item) -> list[list]:
    """The page's blocks as the parser would store them: its table marked as one."""
    from docproc.pipeline.ingest.parse.blocks import text_blocks

    if item.table is None:
        return [[b.kind, b.char_start, b.char_end] for b in text_blocks(item.text)]
    start, end = item.table
    rest = [[b.kind, b.char_start + end, b.char_end + end] for b in text_blocks(item.text[end:])]
    return [["table", start, end], *rest]


def overlaps(span: Span, spans: Sequence[Span]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


def first_gold_rank(hits: Sequence[tuple[str, Span]], question: Question) -> int | None:
    """1-based rank of the first hit ``(item key, span)`` overlapping the question's gold."""
    for rank, (item, span) in enumerate(hits, start=1):
        if item == question.item and overlaps(span, question.gold):
            return rank
    return None


class Baseline:
    """Fixed-size character windows of each item, embedded, in a flat exact FAISS index."""

    def __init__(self, corpus: Corpus, embedder: Embedder) -> None:
        from docproc.pipeline.model_files import EMBEDDING_DIMENSION, embedding_model_id
        from docproc.pipeline.vector_index import VectorIndex
        from docproc.pipeline.wordpieces import word_piece_counter

        self.windows: list[tuple[str, Span]] = []
        texts = []
        for item in corpus.items.values():
            start = 0
            while True:
                end = min(start + BASELINE_CHARS, len(item.text))
                self.windows.append((item.key, (start, end)))
                texts.append(item.text[start:end])
                if end == len(item.text):
                    break
                start = end - BASELINE_OVERLAP
        self.index = VectorIndex(embedding_model_id(), EMBEDDING_DIMENSION)
        self.index.add(np.arange(len(texts), dtype=np.int64), embedder(texts))
        counter = word_piece_counter()
        self.mean_chars = float(np.mean([len(t) for t in texts]))
        self.mean_word_pieces = float(np.mean([counter.count(t) for t in texts]))
        self.truncated = sum(1 for t in texts if counter.count(t) > 254)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, Span]]:
        return [self.windows[i] for i, _ in self.index.search(vector, k)]


def hit_spans(loaded: Loaded, hits) -> list[tuple[str, Span]]:
    return [(loaded.item_of_document[h.document], (h.char_start, h.char_end)) for h in hits]


@dataclass
class Ranks:
    """First gold rank per question, for one system."""

    name: str
    ranks: list[int | None] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def recall(self, k: int) -> float:
        return 100.0 * sum(1 for r in self.ranks if r is not None and r <= k) / len(self.ranks)

    def mrr(self, k: int = 10) -> float:
        return sum(1 / r for r in self.ranks if r is not None and r <= k) / len(self.ranks)


def evaluate(loaded: Loaded, baseline: Baseline, k: int = 10) -> list[Ranks]:
    from docproc.pipeline.embed import embed_query
    from docproc.services import dense_search, retrieval

    before = retrieval.Levers(
        document_context=False,
        section_context=False,
        page_fusion=False,
        document_routing=False,
        page_vectors=False,
    )
    systems = [Ranks("baseline (1000/200 chars, dense)"), Ranks("dense (project chunks)"),
               Ranks("hybrid (all levers: the service)"),
               Ranks("hybrid before (dense + BM25 only)")]  # fmt: skip
    for question in loaded.corpus.questions:
        started = time.perf_counter()
        vector = embed_query(question.text)[0]
        base = baseline.search(vector, k)
        systems[0].seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        dense = dense_search.search(loaded.matter, question.text, k)
        systems[1].seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        hybrid = retrieval.hybrid_search(loaded.matter, question.text, k)
        systems[2].seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        previous = retrieval.hybrid_search(loaded.matter, question.text, k, levers=before)
        systems[3].seconds.append(time.perf_counter() - started)
        systems[3].ranks.append(first_gold_rank(hit_spans(loaded, previous), question))
        systems[0].ranks.append(first_gold_rank(base, question))
        systems[1].ranks.append(first_gold_rank(hit_spans(loaded, dense), question))
        systems[2].ranks.append(first_gold_rank(hit_spans(loaded, hybrid), question))
    return systems


def sweep(loaded: Loaded, depth: int = 100) -> None:
    """Fuse the raw dense and BM25 rankings with other settings (every document is indexed,
    so the raw rankings are what the service sees)."""
    from docproc.models import Chunk
    from docproc.pipeline.answer.fusion import reciprocal_rank_fusion
    from docproc.pipeline.embed import embed_query
    from docproc.services import indexes, retrieval

    index = indexes.readers.get(loaded.matter.pk)
    lexical = retrieval.matter_data.get(loaded.matter.pk, index).lexical
    spans = {
        pk: (loaded.item_of_document[doc], (start, end))
        for pk, doc, start, end in Chunk.objects.filter(document__matter=loaded.matter).values_list(
            "pk", "document_id", "char_start", "char_end"
        )
    }
    runs = []
    for question in loaded.corpus.questions:
        dense = index.search(embed_query(question.text)[0], depth)
        words = lexical.search(question.text, depth)
        runs.append((question, dense, words))

    def recall_of(fuse: Callable[[list, list], list[int]]) -> tuple[float, float]:
        at5 = at10 = 0
        for question, dense, words in runs:
            rank = first_gold_rank([spans[c] for c in fuse(dense, words)[:10]], question)
            at5 += rank is not None and rank <= 5
            at10 += rank is not None and rank <= 10
        return 100 * at5 / len(runs), 100 * at10 / len(runs)

    print(f"\n-- sweep ({loaded.corpus.name}): recall@5 / recall@10")
    print("dense only     {:5.1f} / {:5.1f}".format(*recall_of(lambda d, w: [c for c, _ in d])))
    print("BM25 only      {:5.1f} / {:5.1f}".format(*recall_of(lambda d, w: [c for c, _ in w])))
    for candidates in (20, 50, 100):
        for rrf_k in (10, 60):
            for weights in ((1.0, 1.0), (1.0, 0.5), (0.5, 1.0)):
                for share in (0.0, 0.3, 0.5):

                    def fuse(
                        d, w, candidates=candidates, rrf_k=rrf_k, weights=weights, share=share
                    ):
                        w = w[:candidates]
                        if w and share:
                            w = [(c, s) for c, s in w if s >= share * w[0][1]]
                        fused = reciprocal_rank_fusion(
                            [[c for c, _ in d[:candidates]], [c for c, _ in w]], rrf_k, weights
                        )
                        return [c for c, _ in fused]

                    r5, r10 = recall_of(fuse)
                    print(
                        f"cand {candidates:3d} k {rrf_k:2d} w {weights} lexical>= {share:.1f}·top"
                        f"  {r5:5.1f} / {r10:5.1f}"
                    )


def report(loaded: Loaded, baseline: Baseline, systems: list[Ranks]) -> None:
    corpus = loaded.corpus
    print(f"\n== {corpus.name}: {corpus.note}")
    print(
        f"corpus: {len(corpus.items)} documents; project chunks: {loaded.chunk_count} "
        f"(mean {loaded.mean_chunk_chars:.0f} chars, {loaded.mean_chunk_word_pieces:.0f} word "
        f"pieces); baseline windows: {baseline.index.count} (mean {baseline.mean_chars:.0f} "
        f"chars, {baseline.mean_word_pieces:.0f} word pieces, {baseline.truncated} past the "
        "model's 254-piece limit)"
    )
    print(f"{'system':36s} {'R@1':>6s} {'R@5':>6s} {'R@10':>6s} {'MRR@10':>7s}  latency")
    for s in systems:
        print(
            f"{s.name:36s} {s.recall(1):6.1f} {s.recall(5):6.1f} {s.recall(10):6.1f} "
            f"{s.mrr():7.3f}  {summary_ms(s.seconds)}"
        )
    base, dense, hybrid, _ = systems
    print(
        f"hybrid - baseline: R@5 {hybrid.recall(5) - base.recall(5):+.1f} points, "
        f"R@10 {hybrid.recall(10) - base.recall(10):+.1f}; hybrid - dense: "
        f"R@5 {hybrid.recall(5) - dense.recall(5):+.1f}, "
        f"R@10 {hybrid.recall(10) - dense.recall(10):+.1f}"
    )
    sources = [q.raw.get("answer_from") for q in corpus.questions]
    for source in sorted({s for s in sources if s}):
        chosen = [i for i, s in enumerate(sources) if s == source]
        subset = [Ranks(x.name, [x.ranks[i] for i in chosen]) for x in systems]
        print(
            f"  answer from {source!r} ({len(chosen)} questions): R@5 "
            + ", ".join(f"{x.name.split(' ')[0]} {x.recall(5):.1f}" for x in subset)
            + f" (hybrid - baseline {subset[2].recall(5) - subset[0].recall(5):+.1f})"
        )


def setup(args) -> tuple[Embedder, list[Loaded]]:
    from docproc.pipeline import embed

    prepare_database()
    embed.set_threads(2)
    embedder = Embedder(args.cache)
    corpora = [pubmedqa(args.pubmedqa), tatqa(args.tatqa)]
    started = time.perf_counter()
    loaded = [load(corpus, embedder, args.chunk_tokens) for corpus in corpora]
    from django.conf import settings

    print(
        f"chunks of at most {args.chunk_tokens or settings.CHUNK_MAX_TOKENS} word pieces, "
        f"{settings.CHUNK_OVERLAP_TOKENS} overlap; "
        f"stored and indexed {sum(x.chunk_count for x in loaded)} chunks in "
        f"{time.perf_counter() - started:.1f} s ({embedder.embedded} embedded, "
        f"{embedder.seconds:.1f} s embedding)"
    )
    return embedder, loaded


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--pubmedqa", type=int, default=None, help="abstracts (default: all)")
    parser.add_argument("--tatqa", type=int, default=None, help="questions (default: all)")
    parser.add_argument("--cache", type=Path, default=None, help="embedding cache (.npz)")
    parser.add_argument(
        "--chunk-tokens",
        type=int,
        default=None,
        help="chunk size in word pieces (default: DOCPROC_CHUNK_MAX_TOKENS, as the service)",
    )
    return parser


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args()
    embedder, loaded = setup(args)
    for corpus in loaded:
        baseline = Baseline(corpus.corpus, embedder)
        embedder.save()
        systems = evaluate(corpus, baseline)
        report(corpus, baseline, systems)
        if args.sweep:
            sweep(corpus)


if __name__ == "__main__":
    main()
