"""manage.py unlock DOCUMENT_ID — supply the password of an encrypted PDF (read from stdin or
--password-file, never from the command line where other users could see it)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import document_by_id, document_line, emit
from docproc.models import DocumentStatus
from docproc.services import audit, ingestion


class Command(BaseCommand):
    help = "Give a document that needs a password its password and queue it again."

    def add_arguments(self, parser) -> None:
        parser.add_argument("document_id", type=int)
        parser.add_argument("--password-file", help="file holding the password (else stdin)")

    @audit.as_command
    def handle(self, *args, **options) -> None:
        document = document_by_id(options["document_id"])
        if document.status != DocumentStatus.NEEDS_PASSWORD:
            raise CommandError(f"document {document.pk} is {document.status}, not needs_password")
        source = options["password_file"]
        password = (Path(source).read_text() if source else sys.stdin.readline()).rstrip("\n")
        if not password:
            raise CommandError("no password given")
        ingestion.supply_password(document, password)
        document.refresh_from_db()
        emit(self, document_line(document))
