"""Row factories: matters, users and their memberships, documents with their pages and chunks,
written straight to the database with defaults a test can leave out.

Nothing here goes through a service: no upload, no worker, no audit record (the audit tests
count the records their own actions make). The rows agree with each other as the pipeline
leaves them: a page's blocks are what the parser derives from its text, a chunk's text is its
page's text between the chunk's character offsets, and a document's page and chunk counts are
those of its rows. Tests that need a real stage (chunking, embedding, indexing) run it on these
rows through ``docproc.services.ingestion``; tests that need a real file upload one built by
``tests.factories.files``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from django.contrib.auth import get_user_model

from docproc.models import Chunk, Document, DocumentStatus, Matter, Membership, Page, Role
from docproc.pipeline.ingest.parse.blocks import text_blocks
from docproc.pipeline.model_files import embedding_model_id


def make_matter(slug: str = "smith-v-jones", name: str = "") -> Matter:
    """A matter named ``name`` (its slug when not given)."""
    return Matter.objects.create(slug=slug, name=name or slug)


def make_user(username: str, password: str | None = None, **fields):
    """A user; without ``password`` one that cannot sign in with a password."""
    return get_user_model().objects.create_user(username=username, password=password, **fields)


def make_membership(matter: Matter, user, role: str = Role.VIEWER) -> Membership:
    """``user`` holds ``role`` in ``matter``."""
    return Membership.objects.create(matter=matter, user=user, role=role)


def make_document(
    matter: Matter,
    filename: str = "contract.pdf",
    *,
    pages: Sequence[str] | None = None,
    status: str = DocumentStatus.INDEXED,
    chunked: bool = False,
    content: bytes | None = None,
    **fields,
) -> Document:
    """A document of ``matter`` whose page ``n`` holds ``pages[n - 1]``.

    Its file type is the file name's extension and its digest and size are those of ``content``
    (the file name's bytes when not given, so two documents of one matter need two names).
    ``chunked`` gives every page one chunk spanning its whole text, without a vector. Other
    ``Document`` fields (``reason``, ``uploaded_by``, ...) pass through ``fields``.
    """
    content = content if content is not None else filename.encode()
    document = Document.objects.create(
        matter=matter,
        sha256=hashlib.sha256(content).hexdigest(),
        filename=filename,
        file_type=filename.rsplit(".", 1)[-1],
        size_bytes=len(content),
        status=status,
        page_count=len(pages) if pages is not None else None,
        chunk_count=len(pages) if pages is not None and chunked else None,
        **fields,
    )
    for number, text in enumerate(pages or [], start=1):
        make_page(document, number, text)
        if chunked:
            make_chunk(document, page=number, ordinal=number - 1)
    return document


def make_page(document: Document, number: int, text: str) -> Page:
    """Page ``number`` of ``document``, with the blocks the parser finds in ``text``."""
    blocks = [[b.kind, b.char_start, b.char_end] for b in text_blocks(text)]
    return Page.objects.create(document=document, number=number, text=text, blocks=blocks)


def make_chunk(
    document: Document,
    page: int = 1,
    char_start: int = 0,
    char_end: int | None = None,
    *,
    ordinal: int | None = None,
    embedding: np.ndarray | None = None,
) -> Chunk:
    """A chunk of ``document``'s page ``page``: its text from ``char_start`` to ``char_end`` (the
    page's end when not given), next in reading order unless ``ordinal`` says where.

    ``embedding`` is stored as the vector of today's embedding model. The token count is the
    number of words, standing in for the word pieces (no tokenizer is loaded). The document's
    ``chunk_count`` is left as it is.
    """
    text = document.pages.get(number=page).text[char_start:char_end]
    vector: dict = {}
    if embedding is not None:
        vector = {
            "embedding": np.asarray(embedding, dtype=np.float32).tobytes(),
            "embedding_model": embedding_model_id(),
        }
    return Chunk.objects.create(
        document=document,
        ordinal=ordinal if ordinal is not None else document.chunks.count(),
        page=page,
        char_start=char_start,
        char_end=char_start + len(text),
        text=text,
        token_count=len(text.split()),
        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
        **vector,
    )
