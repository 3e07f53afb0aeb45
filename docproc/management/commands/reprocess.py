"""manage.py reprocess DOCUMENT_ID... — queue documents again (e.g. after installing OCR)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from docproc.management.commands._output import document_by_id, document_line, emit
from docproc.services import audit, ingestion


class Command(BaseCommand):
    help = "Queue documents for processing again; every stage is idempotent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("document_ids", nargs="+", type=int)

    @audit.as_command
    def handle(self, *args, **options) -> None:
        for document_id in options["document_ids"]:
            document = document_by_id(document_id)
            ingestion.reprocess(document)
            document.refresh_from_db()
            emit(self, document_line(document))
