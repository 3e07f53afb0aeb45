"""Evidence-page recall on whole real filings: docproc's retrieval against a naive baseline
built in the same run, with an ablation of every retrieval lever.

    .venv/bin/python bench/financebench_recall.py [--questions N] [--documents N]
        [--cache-dir DIR] [--no-ablation]

Corpus: ../shared/data/financebench-dev (59 SEC filings, 7,718 pages, 86 analyst questions with
zero-based evidence pages). Every filing is ingested into one matter through the pipeline's own
stages (``services.ingestion.submit``, ``parse``, ``chunk``, ``embed``, ``index``: what the
Celery tasks call, run here in-process, so the figures do not depend on the worker's
scheduling). Every question is asked through ``services.retrieval.hybrid_search`` with the
``k`` that ``ask`` uses; a hit counts when its document is the question's filing and its page
is an evidence page. Recall@k is the share of questions with such a hit in the first k.

Baseline, as the FinanceBench paper's and the issue's: each page's text in fixed 1,000-character
windows with 200 characters of overlap, the same all-MiniLM-L6-v2, one flat exact FAISS index
over all filings, dense search only.

``--cache-dir`` (default ``var/bench-cache``) keeps parsed pages and embeddings between runs,
keyed by file hash and parser source, and by text: a re-run after a retrieval change takes
minutes, a first run about an hour on two cores (embedding ~72,000 passages). The cached
embeddings are the embedding function's own output, so cached and fresh runs agree exactly.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
from harness import REPO, SHARED_DATA, prepare_database, summary_ms, unique_slug

FINANCEBENCH = SHARED_DATA / "financebench-dev"
BASELINE_CHARS = 1000
BASELINE_OVERLAP = 200
KS = (5, 10, 20)
PARSER_SOURCES = ("ingest/parse/*.py", "text.py")


@dataclass(frozen=True)
class Question:
    text: str
    document: str  # the filing's name (file name without .pdf)
    pages: frozenset[int]  # 1-based evidence pages
    kind: str


def questions(limit: int | None) -> list[Question]:
    out = []
    for line in (FINANCEBENCH / "questions.jsonl").read_text().splitlines():
        raw = json.loads(line)
        pages = frozenset(
            e["evidence_page_num"] + 1
            for e in raw["evidence"]
            if e.get("doc_name", raw["doc_name"]) == raw["doc_name"]
        )
        out.append(Question(raw["question"], raw["doc_name"], pages, raw["question_type"]))
    return out[:limit]


# --- caches ----------------------------------------------------------------------------------


class EmbeddingCache:
    """``embed_texts`` memoised on disk by each text's SHA-1 (model name in the file name)."""

    def __init__(self, directory: Path, embed: Callable) -> None:
        from docproc.pipeline.model_files import embedding_model_id

        model = hashlib.sha1(embedding_model_id().encode()).hexdigest()[:12]
        self._path = directory / f"embeddings-{model}.npz"
        self._embed = embed
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = 0
        self.seconds = 0.0
        self.embedded = 0
        if self._path.exists():
            stored = np.load(self._path)
            self._vectors = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    def __call__(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}
        if missing:
            started = time.perf_counter()
            vectors = self._embed(list(missing.values()), batch_size=batch_size)
            self.seconds += time.perf_counter() - started
            self.embedded += len(missing)
            self._vectors.update(zip(missing, vectors, strict=True))
            self._dirty += len(missing)
            if self._dirty >= 4096:
                self.save()
        if not keys:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys])

    def save(self) -> None:
        if not self._dirty:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_suffix(".tmp.npz")
        np.savez(
            temporary,
            keys=np.array(list(self._vectors)),
            vectors=np.stack(list(self._vectors.values())),
        )
        temporary.replace(self._path)
        self._dirty = 0


class ParseCache:
    """``parse_document`` memoised on disk by the file's SHA-256 and the parsers' source."""

    def __init__(self, directory: Path, parse: Callable) -> None:
        sources = REPO / "docproc" / "pipeline"
        files = sorted(f for pattern in PARSER_SOURCES for f in sources.glob(pattern))
        version = hashlib.sha256(b"".join(f.read_bytes() for f in files))
        self._directory = directory / f"parsed-{version.hexdigest()[:12]}"
        self._parse = parse
        self.seconds = 0.0

    def __call__(self, data: bytes, *args, **kwargs):
        path = self._directory / f"{hashlib.sha256(data).hexdigest()}.pickle"
        if path.exists():
            return pickle.loads(path.read_bytes())
        started = time.perf_counter()
        parsed = self._parse(data, *args, **kwargs)
        self.seconds += time.perf_counter() - started
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(parsed))
        return parsed


# --- ingestion -------------------------------------------------------------------------------


def ingest(paths: Sequence[Path], parse_cache: ParseCache, embeddings: EmbeddingCache):
    """Every filing through the pipeline's stages into a new matter; returns the matter and
    the seconds spent per stage."""
    from docproc.services import ingestion, matters

    ingestion.enqueue_processing = lambda document_id: None  # the stages run right here
    ingestion.parse_document = parse_cache
    ingestion.embed_texts = embeddings
    matter = matters.get_or_create_matter(unique_slug("bench-financebench"))[0]
    seconds = dict.fromkeys(("store", "parse", "chunk", "embed", "index"), 0.0)
    for path in paths:
        started = time.perf_counter()
        document = ingestion.submit(matter, path.name, [path.read_bytes()]).document
        seconds["store"] += time.perf_counter() - started
        for stage in ("parse", "chunk", "embed", "index"):
            started = time.perf_counter()
            ok = getattr(ingestion, stage)(document.pk)
            seconds[stage] += time.perf_counter() - started
            if stage != "embed" and not ok:
                raise SystemExit(f"{path.name}: the {stage} stage stopped ({document.reason})")
    embeddings.save()
    return matter, seconds


class Baseline:
    """Fixed 1,000-character windows (200 overlap) of each page, flat exact FAISS, dense only."""

    def __init__(self, matter, embeddings: EmbeddingCache) -> None:
        from docproc.models import Page
        from docproc.pipeline.model_files import EMBEDDING_DIMENSION, embedding_model_id
        from docproc.pipeline.vector_index import VectorIndex

        self.windows: list[tuple[str, int]] = []
        texts = []
        pages = Page.objects.filter(document__matter=matter).select_related("document")
        for page in pages.order_by("document_id", "number").iterator(chunk_size=500):
            text, start = page.text, 0
            while text:
                end = min(start + BASELINE_CHARS, len(text))
                self.windows.append((_stem(page.document.filename), page.number))
                texts.append(text[start:end])
                if end == len(text):
                    break
                start = end - BASELINE_OVERLAP
        self.index = VectorIndex(embedding_model_id(), EMBEDDING_DIMENSION)
        self.index.add(np.arange(len(texts), dtype=np.int64), embeddings(texts))
        embeddings.save()

    def search(self, query: str, k: int) -> list[tuple[str, int]]:
        from docproc.pipeline.embed import embed_query

        return [self.windows[i] for i, _ in self.index.search(embed_query(query)[0], k)]


def _stem(filename: str) -> str:
    return filename.rsplit(".", 1)[0]


# --- evaluation ------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    hits: list[list[tuple[str, int]]]
    seconds: list[float]

    def recall(self, items: Sequence[Question], k: int) -> float:
        found = [
            any(doc == q.document and page in q.pages for doc, page in hits[:k])
            for q, hits in zip(items, self.hits, strict=True)
        ]
        return sum(found) / len(found)


def run_docproc(matter, items: Sequence[Question], levers, name: str) -> Result:
    from docproc.services import retrieval
    from docproc.services.answers import RETRIEVE_K

    result = Result(name, [], [])
    for question in items:
        started = time.perf_counter()
        hits = retrieval.hybrid_search(matter, question.text, RETRIEVE_K, levers=levers)
        result.seconds.append(time.perf_counter() - started)
        result.hits.append([(_stem(h.filename), h.page) for h in hits])
    return result


def run_baseline(baseline: Baseline, items: Sequence[Question]) -> Result:
    result = Result("naive baseline (1000/200 chars, dense)", [], [])
    for question in items:
        started = time.perf_counter()
        result.hits.append(baseline.search(question.text, max(KS)))
        result.seconds.append(time.perf_counter() - started)
    return result


def ablation() -> list[tuple[str, object]]:
    """(name, levers): the service's retrieval, the previous one, each lever alone and each
    lever taken away."""
    from docproc.services.retrieval import ALL_LEVERS

    extra = [f.name for f in fields(ALL_LEVERS) if f.name not in ("dense", "lexical")]
    none = replace(ALL_LEVERS, **dict.fromkeys(extra, False))
    rows = [
        ("docproc before (hybrid, no levers)", none),
        ("dense only", replace(none, lexical=False)),
        ("lexical (BM25) only", replace(none, dense=False)),
    ]
    rows += [(f"hybrid + {lever} only", replace(none, **{lever: True})) for lever in extra]
    rows += [(f"all but {lever}", replace(ALL_LEVERS, **{lever: False})) for lever in extra]
    rows += [
        ("all levers, dense only", replace(ALL_LEVERS, lexical=False)),
        ("all levers, lexical only", replace(ALL_LEVERS, dense=False)),
    ]
    return rows


def report(items: Sequence[Question], results: Sequence[Result], service: Result, base: Result):
    print(f"\n{'system':44s} " + " ".join(f"R@{k:<4d}" for k in KS) + "  latency")
    for result in results:
        figures = " ".join(f"{result.recall(items, k):6.3f}" for k in KS)
        print(f"{result.name:44s} {figures}  {summary_ms(result.seconds)}")
    print()
    for k in KS:
        ratio = service.recall(items, k) / max(base.recall(items, k), 1e-9)
        print(
            f"recall@{k}: docproc {service.recall(items, k):.3f}, baseline "
            f"{base.recall(items, k):.3f}, ratio {ratio:.2f}x"
        )
    goals = {5: 0.60, 20: 0.80}
    for k, goal in goals.items():
        print(
            f"goal recall@{k} >= {goal:.2f}: {service.recall(items, k):.3f} "
            f"({service.recall(items, k) / goal:.2f} of the goal)"
        )
    kinds = sorted({q.kind for q in items})
    for kind in kinds:
        chosen = [i for i, q in enumerate(items) if q.kind == kind]
        subset = [items[i] for i in chosen]
        per = [Result(r.name, [r.hits[i] for i in chosen], []) for r in (service, base)]
        print(
            f"  {kind} ({len(chosen)} questions): recall@5 docproc "
            f"{per[0].recall(subset, 5):.3f}, baseline {per[1].recall(subset, 5):.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=None, help="questions (default: all)")
    parser.add_argument("--documents", type=int, default=None, help="filings (default: all)")
    parser.add_argument("--cache-dir", type=Path, default=REPO / "var" / "bench-cache")
    parser.add_argument("--no-ablation", action="store_true", help="service and baseline only")
    args = parser.parse_args()

    from docproc.pipeline import embed, vector_index
    from docproc.pipeline.ingest import parse
    from docproc.services.retrieval import ALL_LEVERS

    prepare_database()
    embed.set_threads(2)
    vector_index.set_threads(2)
    paths = sorted((FINANCEBENCH / "pdfs").glob("*.pdf"))[: args.documents]
    items = [q for q in questions(args.questions) if q.document in {p.stem for p in paths}]
    parse_cache = ParseCache(args.cache_dir, parse.parse_document)
    embeddings = EmbeddingCache(args.cache_dir, embed.embed_texts)

    started = time.perf_counter()
    matter, seconds = ingest(paths, parse_cache, embeddings)
    from docproc.models import Chunk, Page

    chunks = Chunk.objects.filter(document__matter=matter).count()
    pages = Page.objects.filter(document__matter=matter).count()
    print(
        f"ingested {len(paths)} filings, {pages} pages, {chunks} chunks in "
        f"{time.perf_counter() - started:.1f} s ("
        + ", ".join(f"{stage} {s:.1f} s" for stage, s in seconds.items())
        + f"; uncached parsing {parse_cache.seconds:.1f} s, embedding {embeddings.seconds:.1f} s"
        f" for {embeddings.embedded} new texts)"
    )
    baseline = Baseline(matter, embeddings)
    print(f"baseline: {len(baseline.windows)} windows")
    print(f"{len(items)} questions")

    base = run_baseline(baseline, items)
    service = run_docproc(matter, items, ALL_LEVERS, "docproc (all levers: the service)")
    results = [base, service]
    if not args.no_ablation:
        results += [run_docproc(matter, items, levers, name) for name, levers in ablation()]
    report(items, results, service, base)


if __name__ == "__main__":
    main()
