"""manage.py delete_document DOCUMENT_ID — remove a document and everything derived from it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import document_by_id, emit
from docproc.services import audit, matters
from docproc.services.documents import delete_document


class Command(BaseCommand):
    help = "Delete a document's file, pages, chunks and vectors; prints the receipt."

    def add_arguments(self, parser) -> None:
        parser.add_argument("document_id", type=int)

    @audit.as_command
    def handle(self, *args, **options) -> None:
        try:
            receipt = delete_document(document_by_id(options["document_id"]))
        except matters.MatterError as exc:  # a legal hold or a closed matter, in words
            raise CommandError(str(exc)) from exc
        emit(
            self,
            {
                "receipt": receipt.pk,
                "document": receipt.document_id,
                "filename": receipt.filename,
                "pages_removed": receipt.pages_removed,
                "chunks_removed": receipt.chunks_removed,
                "vectors_removed": receipt.vectors_removed,
                "file_removed": receipt.file_removed,
            },
        )
