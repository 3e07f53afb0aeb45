"""Ingestion: accept an upload, then parse → chunk → embed → index, one idempotent stage at a time.

Every stage can re-run after a crash and yields the same rows: derived data is compared with what
is stored and only replaced when it differs. A stage returns whether the pipeline should go on;
the Celery tasks in ``workers.tasks`` chain the stages and call ``enqueue_processing``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from docproc.models import Chunk, Document, DocumentStatus, Matter, Page
from docproc.pipeline.embed import embed_texts
from docproc.pipeline.ingest import file_types
from docproc.pipeline.ingest.chunk import chunk_pages
from docproc.pipeline.ingest.context import describes, document_context, section_contexts
from docproc.pipeline.ingest.parse import parse_document, prepare_parser
from docproc.pipeline.ingest.parse.ocr import OcrEngine
from docproc.pipeline.ingest.parse.sandbox import run_limited
from docproc.pipeline.ingest.sniff import detect_file_type
from docproc.pipeline.model_files import embedding_model_id
from docproc.pipeline.types import (
    Block,
    DocumentError,
    PageText,
    ParsedDocument,
    PasswordRequiredError,
    UnsupportedDocumentError,
)
from docproc.pipeline.wordpieces import word_piece_counter
from docproc.services import audit, dispatch, indexes, matters, storage

logger = logging.getLogger(__name__)


def allowed_types() -> list[str]:
    """The file types uploads may have: ``DOCPROC_ALLOWED_TYPES``, or every registered type."""
    return settings.ALLOWED_TYPES or list(file_types.FILE_TYPES)


def enqueue_processing(document_id: int) -> None:
    """Start processing the document on the workers (called after commit)."""
    dispatch.send(dispatch.PROCESS_DOCUMENT, document_id)


@dataclass(frozen=True, slots=True)
class Submission:
    document: Document
    created: bool


def submit(
    matter: Matter, filename: str, pieces: Iterable[bytes], user: audit.Actor = None
) -> Submission:
    """Store an upload and, if it is new to the matter, queue it for processing after commit.

    The same bytes uploaded to the same matter return the existing document. Bytes that are not
    an allowed type are kept with status ``failed`` and a reason, so nothing is lost.
    Raises ``storage.UploadTooLargeError`` past the size limit (nothing is kept then), and
    ``matters.MatterClosedError`` in a closed matter (before reading the upload).
    """
    matters.ensure_open(matter, "upload documents")
    blob = storage.store(pieces, settings.MAX_UPLOAD_BYTES)
    filename = safe_filename(filename)
    existing = Document.objects.filter(matter=matter, sha256=blob.sha256).first()
    if existing is not None:
        _record_upload(user, existing, filename, created=False)
        storage.release(blob)
        return Submission(existing, created=False)

    status, reason, file_type = DocumentStatus.RECEIVED, "", "unknown"
    try:
        # Read from disk as needed: the head, a zip's central directory (at the end), or
        # pieces of a text file; never the whole upload in memory.
        with blob.path.open("rb") as stored:
            file_type = detect_file_type(stored, filename)
        allowed = allowed_types()
        if file_type not in allowed:
            raise UnsupportedDocumentError(
                f"{file_types.label(file_type)} files are not accepted here "
                f"(allowed: {', '.join(allowed)})."
            )
    except UnsupportedDocumentError as exc:
        status, reason = DocumentStatus.FAILED, exc.reason

    with transaction.atomic():
        document, created = Document.objects.get_or_create(
            matter=matter,
            sha256=blob.sha256,
            defaults={
                "filename": filename,
                "file_type": file_type,
                "size_bytes": blob.size,
                "status": status,
                "reason": reason,
                "uploaded_by": user if user is not None and user.is_authenticated else None,
            },
        )
        if created and status == DocumentStatus.RECEIVED:
            transaction.on_commit(lambda: enqueue_processing(document.pk))
        _record_upload(user, document, filename, created=created)
    storage.release(blob)  # committed: the document now keeps the blob (an error: the pin lapses)
    return Submission(document, created=created)


# The longest file name kept (PostgreSQL column Document.filename), extension included.
MAX_FILENAME_CHARS = 255
_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_filename(filename: str | None) -> str:
    """The name an upload is kept and shown under: its last path component only (so
    ``../../etc/passwd.pdf`` is ``passwd.pdf`` and ``..\\x.pdf`` is ``x.pdf``), with control
    characters, NUL and text-direction overrides removed, cut to ``MAX_FILENAME_CHARS`` with
    its extension kept; "upload" when nothing is left. Django's upload parser already does
    some of this for the web and API; the ``ingest`` command and other callers rely on this."""
    name = _UNSAFE_NAME_CHARS.sub("", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", ".."):
        return "upload"
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) < 16:
            name = stem[: MAX_FILENAME_CHARS - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name


def _record_upload(user: audit.Actor, document: Document, filename: str, created: bool) -> None:
    audit.record(
        user,
        audit.Action.UPLOAD,
        matter=document.matter,
        target=document,
        details={
            "filename": filename,
            "sha256": document.sha256,
            "size_bytes": document.size_bytes,
            "file_type": document.file_type,
            "status": document.status,
            "created": created,
        },
    )


def supply_password(document: Document, password: str, user: audit.Actor = None) -> None:
    """Give an encrypted PDF its password and queue it again. The password is kept only until
    parsing has used it (and is never recorded)."""
    matters.ensure_open(document.matter, "reprocess its documents")
    with transaction.atomic():
        Document.objects.filter(pk=document.pk).update(
            pending_password=password, status=DocumentStatus.RECEIVED, reason=""
        )
        transaction.on_commit(lambda: enqueue_processing(document.pk))
        audit.record(user, audit.Action.PASSWORD_SUPPLIED, target=document)


def reprocess(document: Document, user: audit.Actor = None) -> None:
    """Queue a failed document again (e.g. after OCR was installed or a transient failure)."""
    matters.ensure_open(document.matter, "reprocess its documents")
    with transaction.atomic():
        Document.objects.filter(pk=document.pk).update(status=DocumentStatus.RECEIVED, reason="")
        transaction.on_commit(lambda: enqueue_processing(document.pk))
        audit.record(
            user, audit.Action.REPROCESS, target=document, details={"from_status": document.status}
        )


def mark(document_id: int, status: str, reason: str = "") -> None:
    Document.objects.filter(pk=document_id).update(
        status=status, reason=reason, updated_at=timezone.now()
    )


def _advance(document_id: int, expected: Iterable[str], status: str) -> None:
    """Move forward only from an earlier state, so re-running a stage on a finished document
    leaves its state alone."""
    Document.objects.filter(pk=document_id, status__in=list(expected)).update(
        status=status, updated_at=timezone.now()
    )


def _document(document_id: int) -> Document | None:
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        logger.info("document %s no longer exists; stopping", document_id)
    return document


# --- parse -----------------------------------------------------------------------------------


_ocr_engine: OcrEngine | None = None


def _ocr() -> OcrEngine | None:
    global _ocr_engine
    if not settings.OCR_ENABLED:
        return None
    if _ocr_engine is None:
        _ocr_engine = OcrEngine(languages=settings.OCR_LANGUAGES)
    return _ocr_engine if _ocr_engine.available() else None


def _parse_limited(document: Document, password: str | None) -> ParsedDocument:
    """Parse the stored original in a child process under the time and memory limits
    (``DOCPROC_PARSE_TIMEOUT_S``, ``DOCPROC_PARSE_MEMORY_MB``), so a hostile file fails with
    a reason and never takes this worker down."""
    data = storage.read(document.sha256)
    ocr = _ocr()
    prepare_parser(document.file_type)  # loaded once here, shared by every forked child
    return run_limited(
        lambda: parse_document(
            data,
            document.file_type,
            document.filename,
            password=password,
            max_pages=settings.MAX_PAGES,
            ocr=ocr,
        ),
        timeout_s=settings.PARSE_TIMEOUT_S,
        memory_mb=settings.PARSE_MEMORY_MB,
    )


def parse(document_id: int) -> bool:
    """Extract page text. Returns False when the document cannot go on (failed, needs password,
    or deleted)."""
    document = _document(document_id)
    if document is None:
        return False
    _advance(document_id, [DocumentStatus.RECEIVED], DocumentStatus.PARSING)
    password = document.pending_password or None
    try:
        parsed = _parse_limited(document, password)
    except PasswordRequiredError as exc:
        Document.objects.filter(pk=document_id).update(pending_password="")
        mark(document_id, DocumentStatus.NEEDS_PASSWORD, exc.reason)
        return False
    except DocumentError as exc:
        mark(document_id, DocumentStatus.FAILED, exc.reason)
        return False
    except FileNotFoundError:
        mark(document_id, DocumentStatus.FAILED, "The stored original is missing.")
        return False

    warnings = "; ".join(parsed.warnings)
    with transaction.atomic():
        stored = list(Page.objects.filter(document_id=document_id).order_by("number"))
        if [_page_key(p) for p in stored] != [_parsed_key(p) for p in parsed.pages]:
            old_chunk_ids = list(
                Chunk.objects.filter(document_id=document_id).values_list("pk", flat=True)
            )
            Page.objects.filter(document_id=document_id).delete()
            Chunk.objects.filter(document_id=document_id).delete()
            Page.objects.bulk_create(
                Page(
                    document_id=document_id,
                    number=p.number,
                    text=p.text,
                    source=p.source,
                    blocks=[[b.kind, b.char_start, b.char_end] for b in p.blocks],
                )
                for p in parsed.pages
            )
            transaction.on_commit(lambda: indexes.remove_chunks(document.matter_id, old_chunk_ids))
            _advance(
                document_id,
                [DocumentStatus.PARSING, DocumentStatus.INDEXED, DocumentStatus.EMBEDDING],
                DocumentStatus.CHUNKING,
            )
        else:
            _advance(document_id, [DocumentStatus.PARSING], DocumentStatus.CHUNKING)
        Document.objects.filter(pk=document_id).update(
            page_count=len(parsed.pages), pending_password="", reason=warnings
        )
    return True


# A page as compared between the database and a parse: number, text, source, blocks.
_PageKey: TypeAlias = tuple[int, str, str, list[list[object]]]


def _page_key(page: Page) -> _PageKey:
    return (page.number, page.text, page.source, [list(b) for b in page.blocks])


def _parsed_key(page: PageText) -> _PageKey:
    return (
        page.number,
        page.text,
        page.source,
        [[b.kind, b.char_start, b.char_end] for b in page.blocks],
    )


# --- chunk -----------------------------------------------------------------------------------


def _stored_pages(document_id: int) -> list[PageText]:
    return [
        PageText(
            number=p.number,
            text=p.text,
            blocks=tuple(Block(kind, start, end) for kind, start, end in p.blocks),
            source=p.source,
        )
        for p in Page.objects.filter(document_id=document_id).order_by("number")
    ]


def chunk(document_id: int) -> bool:
    """Split page text into passages bounded in the embedder's word pieces."""
    document = _document(document_id)
    if document is None:
        return False
    pages = _stored_pages(document_id)
    chunks = chunk_pages(
        pages,
        word_piece_counter(),
        max_tokens=settings.CHUNK_MAX_TOKENS,
        overlap_tokens=settings.CHUNK_OVERLAP_TOKENS,
    )
    if not chunks:
        mark(
            document_id,
            DocumentStatus.FAILED,
            document.reason
            or "No text could be extracted from this document (it may be a scan; install "
            "Tesseract OCR and reprocess it).",
        )
        return False
    sections = section_contexts(pages, chunks)
    context = document_context(document.filename, pages)
    wanted = [(c.ordinal, c.page, c.char_start, c.char_end, _sha(c.text)) for c in chunks]
    with transaction.atomic():
        stored = list(
            Chunk.objects.filter(document_id=document_id)
            .order_by("ordinal")
            .values_list("ordinal", "page", "char_start", "char_end", "text_sha256")
        )
        if stored != wanted:
            old_ids = list(
                Chunk.objects.filter(document_id=document_id).values_list("pk", flat=True)
            )
            Chunk.objects.filter(document_id=document_id).delete()
            Chunk.objects.bulk_create(
                Chunk(
                    document_id=document_id,
                    ordinal=c.ordinal,
                    page=c.page,
                    char_start=c.char_start,
                    char_end=c.char_end,
                    text=c.text,
                    context=section,
                    token_count=c.token_count,
                    text_sha256=_sha(c.text),
                )
                for c, section in zip(chunks, sections, strict=True)
            )
            transaction.on_commit(lambda: indexes.remove_chunks(document.matter_id, old_ids))
            _advance(
                document_id,
                [DocumentStatus.CHUNKING, DocumentStatus.INDEXED],
                DocumentStatus.EMBEDDING,
            )
        else:
            # Same passages: only their headers may be new (derived by a newer version);
            # the vectors are of the text alone, so they stay.
            _update_sections(document_id, sections)
            _advance(document_id, [DocumentStatus.CHUNKING], DocumentStatus.EMBEDDING)
        if document.context != context:
            Document.objects.filter(pk=document_id).update(context=context, context_embedding=None)
        Document.objects.filter(pk=document_id).update(chunk_count=len(chunks))
    return True


def _update_sections(document_id: int, sections: list[str]) -> None:
    rows = list(Chunk.objects.filter(document_id=document_id).order_by("ordinal").only("context"))
    changed = []
    for row, section in zip(rows, sections, strict=True):
        if row.context != section:
            row.context = section
            changed.append(row)
    Chunk.objects.bulk_update(changed, ["context"], batch_size=500)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- embed -----------------------------------------------------------------------------------


def _unembedded(document_id: int) -> QuerySet[Chunk]:
    return Chunk.objects.filter(document_id=document_id).exclude(
        embedding_model=embedding_model_id(), embedding__isnull=False
    )


def plan_embedding(document_id: int, per_task: int, workers: int = 1) -> list[list[int]]:
    """Chunk ids still lacking a vector from the current model, grouped into embedding tasks.

    Groups hold chunks of similar length (the embedder pads a batch to its longest passage,
    so mixing lengths wastes most of the work), at most ``per_task`` each, and their number is
    a multiple of ``workers`` so every worker child gets an equal share of a large document."""
    ids = list(
        _unembedded(document_id).order_by("token_count", "ordinal").values_list("pk", flat=True)
    )
    if not ids:
        return []
    pieces = -(-len(ids) // per_task)
    if pieces > 1 and workers > 1:
        pieces = -(-pieces // workers) * workers
    pieces = min(pieces, len(ids))
    bounds = [round(i * len(ids) / pieces) for i in range(pieces + 1)]
    return [ids[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def embed(document_id: int, chunk_ids: list[int] | None = None) -> int:
    """Embed the given chunks (default: all of the document's) that have no vector from the
    current model. Returns how many chunks of the document still lack one afterwards."""
    model = embedding_model_id()
    todo = _unembedded(document_id)
    if chunk_ids is not None:
        todo = todo.filter(pk__in=chunk_ids)
    rows = list(todo.order_by("ordinal").only("pk", "text"))
    if rows:
        vectors = embed_texts([r.text for r in rows], batch_size=settings.EMBEDDING_BATCH_SIZE)
        for row, vector in zip(rows, vectors, strict=True):
            row.embedding = vector.tobytes()
            row.embedding_model = model
        Chunk.objects.bulk_update(rows, ["embedding", "embedding_model"], batch_size=500)
    # Passages embedded anew (a new document, or another model): its context vector too.
    _embed_context(document_id, refresh=bool(rows))
    return _unembedded(document_id).count()


def _embed_context(document_id: int, *, refresh: bool = False) -> None:
    """The document context's vector, for document-aware dense search (once per context and
    model; none for a context that is only the file name)."""
    documents = Document.objects.filter(pk=document_id)
    if not refresh:
        documents = documents.filter(context_embedding__isnull=True)
    document = documents.exclude(context="").only("context", "filename").first()
    if document is not None and describes(document.context, document.filename):
        vector = embed_texts([document.context])[0]
        Document.objects.filter(pk=document_id, context=document.context).update(
            context_embedding=vector.tobytes()
        )


# --- index -----------------------------------------------------------------------------------


def index(document_id: int) -> bool:
    """Put the document's vectors in its matter's index and mark it indexed."""
    document = _document(document_id)
    if document is None:
        return False
    chunks = list(
        Chunk.objects.filter(document_id=document_id).only("pk", "embedding", "embedding_model")
    )
    ids, vectors = indexes.vectors_of(chunks)
    if len(ids) != len(chunks):
        logger.warning(
            "document %s has %s chunks without vectors", document_id, len(chunks) - len(ids)
        )
        return False
    indexes.add_chunks(document.matter_id, ids, vectors)
    if not Document.objects.filter(pk=document_id).exists():
        # Deleted while we wrote: take its vectors back out.
        indexes.remove_chunks(document.matter_id, ids)
        return False
    Document.objects.filter(pk=document_id).exclude(status=DocumentStatus.INDEXED).update(
        status=DocumentStatus.INDEXED, indexed_at=timezone.now(), updated_at=timezone.now()
    )
    return True
