"""Helpers shared by the management commands: JSON lines out, clean errors."""

from __future__ import annotations

import json

from django.core.management.base import CommandError

from docproc.models import Document, Matter


def emit(command, obj: dict) -> None:
    """Write one JSON object on its own line."""
    command.stdout.write(json.dumps(obj, ensure_ascii=False, default=str))


def document_line(document: Document) -> dict:
    return {
        "id": document.pk,
        "filename": document.filename,
        "status": document.status,
        "reason": document.reason,
        "pages": document.page_count,
        "chunks": document.chunk_count,
    }


def matter_status_line(matter: Matter) -> dict:
    """A matter's status and retention, as the lifecycle commands print it."""
    return {
        "matter": matter.slug,
        "status": matter.status,
        "closed_at": matter.closed_at,
        "retention_years": matter.effective_retention_years(),
        "retention_ends": matter.retention_ends(),
    }


def matter_by_slug(slug: str) -> Matter:
    matter = Matter.objects.filter(slug=slug).first()
    if matter is None:
        raise CommandError(f"no matter with slug {slug!r}")
    return matter


def document_by_id(document_id: int) -> Document:
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        raise CommandError(f"no document with id {document_id}")
    return document
