"""Search latency over 10,000 chunks: the full search service (embed the query, FAISS, fetch the
passages from the database) against bare FAISS search of the same query vectors, in one run.

    .venv/bin/python bench/search_latency.py [--chunks 10000] [--queries 200]

Passages are PubMedQA abstract contexts and TAT-QA report paragraphs (../shared/data), cut into
overlapping two-sentence windows; queries are PubMedQA questions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import time

from harness import SHARED_DATA, prepare_database, summary_ms, unique_slug

SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def passages(limit: int) -> list[str]:
    pubmed = json.loads((SHARED_DATA / "pubmedqa" / "ori_pqal.json").read_text())
    tatqa = json.loads((SHARED_DATA / "tatqa" / "tatqa_dataset_dev.json").read_text())
    texts = [c for item in pubmed.values() for c in item["CONTEXTS"]]
    texts += [p["text"] for item in tatqa for p in item["paragraphs"]]
    out: list[str] = []
    for text in texts:
        sentences = SENTENCE.split(text)
        out += [" ".join(sentences[i : i + 2]) for i in range(len(sentences))]
    return out[:limit]


def questions(limit: int) -> list[str]:
    pubmed = json.loads((SHARED_DATA / "pubmedqa" / "ori_pqal.json").read_text())
    return [item["QUESTION"] for item in pubmed.values()][:limit]


def load_matter(texts: list[str]):
    """Store the passages as chunks of one document, embedded, and build the matter's index."""
    from docproc.models import Chunk, Document
    from docproc.pipeline import embed
    from docproc.pipeline.model_files import embedding_model_id
    from docproc.services import indexes, matters

    matter = matters.get_or_create_matter(unique_slug("bench-search"))[0]
    document = Document.objects.create(
        matter=matter,
        sha256=hashlib.sha256(matter.slug.encode()).hexdigest(),
        filename="corpus.txt",
        file_type="txt",
        size_bytes=0,
        status="indexed",
        page_count=1,
        chunk_count=len(texts),
    )
    started = time.perf_counter()
    vectors = embed.embed_texts(texts, batch_size=64)
    print(f"embedded {len(texts)} passages in {time.perf_counter() - started:.1f} s")
    model = embedding_model_id()
    Chunk.objects.bulk_create(
        (
            Chunk(
                document=document,
                ordinal=i,
                page=1,
                char_start=0,
                char_end=len(t),
                text=t,
                token_count=0,
                text_sha256=hashlib.sha256(t.encode()).hexdigest(),
                embedding=v.tobytes(),
                embedding_model=model,
            )
            for i, (t, v) in enumerate(zip(texts, vectors, strict=True))
        ),
        batch_size=1000,
    )
    print(f"index holds {indexes.rebuild(matter)} vectors")
    return matter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()

    from docproc.pipeline import embed
    from docproc.services import dense_search, indexes

    prepare_database()
    embed.set_threads(2)
    matter = load_matter(passages(args.chunks))
    queries = questions(args.queries)
    for q in queries[:5]:
        dense_search.search(matter, q, args.k)  # warm caches

    service, bare, embedding = [], [], []
    index = indexes.readers.get(matter.pk)
    for q in queries:
        t0 = time.perf_counter()
        dense_search.search(matter, q, args.k)
        service.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        vector = embed.embed_query(q)
        embedding.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        index.search(vector[0], args.k)
        bare.append(time.perf_counter() - t0)

    print(f"\n== search over {index.count} chunks, k={args.k}, {len(queries)} queries")
    print(f"search service (embed + FAISS + fetch): {summary_ms(service)}")
    print(f"  of which query embedding:             {summary_ms(embedding)}")
    print(f"bare FAISS search:                      {summary_ms(bare)}")
    p50 = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    print(
        f"ratio service / bare FAISS at p50: {p50(service) / p50(bare):.1f}x; "
        f"service / (embedding + bare FAISS) at p50: "
        f"{p50(service) / (p50(embedding) + p50(bare)):.2f}x"
    )


if __name__ == "__main__":
    main()
