"""Documents as the pipeline leaves them, made in bulk: a stored original each (a real file in
the blob store), a page of text, chunks carrying vectors, and those vectors in the matter's real
FAISS index. For the tests and the benchmark of removing documents (deletion, whole matters,
the retention purge), which need many documents without running the pipeline on each.

The vectors are random (no embedding model is loaded): removal never reads what they mean.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

from docproc.models import Chunk, Document, DocumentStatus, Matter, Page
from docproc.pipeline.model_files import EMBEDDING_DIMENSION, embedding_model_id
from docproc.services import indexes, storage

# Rows per INSERT: thousands of documents stay within PostgreSQL's parameter limits.
INSERT_BATCH = 1000


def content_for(matter: Matter, number: int, size: int = 2048) -> bytes:
    """Distinct bytes for document ``number`` of ``matter`` (``size`` long)."""
    head = f"%PDF-1.4 {matter.slug} document {number}\n".encode()
    return head + b"x" * max(0, size - len(head))


def write_blob(content: bytes) -> str:
    """Put ``content`` in the blob store where ``storage.store`` would (read-only file), without
    the upload's fsync and pin; returns its digest."""
    sha = hashlib.sha256(content).hexdigest()
    path = storage.blob_path(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(content)
        os.chmod(path, 0o440)
    return sha


def make_stored_documents(
    matter: Matter,
    count: int,
    *,
    chunks_per_document: int = 2,
    first: int = 0,
    size: int = 2048,
    seed: int = 0,
) -> list[Document]:
    """``count`` indexed documents of ``matter`` (numbered from ``first``), each with its
    original in the blob store, one page, ``chunks_per_document`` embedded chunks of that page,
    and their vectors in the matter's index."""
    rng = np.random.default_rng(seed + first)
    model = embedding_model_id()
    made = []
    for start in range(first, first + count, INSERT_BATCH):
        numbers = range(start, min(start + INSERT_BATCH, first + count))
        rows = []
        for number in numbers:
            content = content_for(matter, number, size)
            rows.append(
                Document(
                    matter=matter,
                    sha256=write_blob(content),
                    filename=f"document-{number:05d}.pdf",
                    file_type="pdf",
                    size_bytes=len(content),
                    status=DocumentStatus.INDEXED,
                    page_count=1,
                    chunk_count=chunks_per_document,
                )
            )
        documents = Document.objects.bulk_create(rows)
        texts = {d.pk: _page_text(d, chunks_per_document) for d in documents}
        Page.objects.bulk_create(
            Page(document=d, number=1, text=texts[d.pk], blocks=[]) for d in documents
        )
        vectors = rng.standard_normal(
            (len(documents) * chunks_per_document, EMBEDDING_DIMENSION), dtype=np.float32
        )
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        chunks = Chunk.objects.bulk_create(
            _chunk(d, texts[d.pk], ordinal, vectors[i * chunks_per_document + ordinal], model)
            for i, d in enumerate(documents)
            for ordinal in range(chunks_per_document)
        )
        ids = np.asarray([c.pk for c in chunks], dtype=np.int64)
        indexes.add_chunks(matter.pk, ids, vectors)
        made.extend(documents)
    return made


def _page_text(document: Document, chunks: int) -> str:
    return " ".join(f"Clause {n} of {document.filename}." for n in range(chunks))


def _chunk(document: Document, text: str, ordinal: int, vector: np.ndarray, model: str) -> Chunk:
    piece = f"Clause {ordinal} of {document.filename}."
    start = text.index(piece)
    return Chunk(
        document=document,
        ordinal=ordinal,
        page=1,
        char_start=start,
        char_end=start + len(piece),
        text=piece,
        token_count=len(piece.split()),
        text_sha256=hashlib.sha256(piece.encode()).hexdigest(),
        embedding=vector.tobytes(),
        embedding_model=model,
    )
