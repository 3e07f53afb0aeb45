"""manage.py ingest --matter SLUG [--wait] PATH... — queue documents for processing."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import document_line, emit
from docproc.models import Document
from docproc.services import audit, ingestion, matters, storage

READ_PIECE = 1024 * 1024


def _pieces(path: Path):
    with path.open("rb") as handle:
        while piece := handle.read(READ_PIECE):
            yield piece


class Command(BaseCommand):
    help = "Store documents in a matter (created if missing) and queue them for processing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--matter", required=True, help="matter slug")
        parser.add_argument("--wait", action="store_true", help="block until each is final")
        parser.add_argument(
            "--timeout",
            type=float,
            default=settings.INGEST_WAIT_TIMEOUT,
            help="seconds --wait waits at most",
        )
        parser.add_argument("paths", nargs="+", metavar="PATH")

    @audit.as_command
    def handle(self, *args, **options) -> None:
        try:
            matter, _ = matters.get_or_create_matter(options["matter"])
        except matters.MatterError as exc:
            raise CommandError(str(exc)) from exc
        documents: list[Document] = []
        for raw in options["paths"]:
            path = Path(raw)
            if not path.is_file():
                emit(self, {"path": raw, "status": "rejected", "reason": "not a readable file"})
                continue
            try:
                submission = ingestion.submit(matter, path.name, _pieces(path))
            except storage.UploadTooLargeError as exc:
                emit(self, {"path": raw, "status": "rejected", "reason": str(exc)})
                continue
            documents.append(submission.document)
        if not options["wait"]:
            for document in documents:
                emit(self, document_line(document))
            return
        finished = self._wait([d.pk for d in documents], options["timeout"])
        for document in Document.objects.filter(pk__in=[d.pk for d in documents]).order_by("pk"):
            emit(self, document_line(document))
        if not finished:
            sys.exit(3)

    def _wait(self, ids: list[int], timeout: float) -> bool:
        """Poll until every document is final. Says so, instead of hanging, when no worker
        answers or the timeout passes."""
        from workers import app

        deadline = time.monotonic() + timeout
        checked_worker = False
        started = time.monotonic()
        while True:
            pending = Document.objects.filter(pk__in=ids).exclude(
                status__in=["indexed", "failed", "needs_password"]
            )
            if not pending.exists():
                return True
            waited = time.monotonic() - started
            if not checked_worker and waited >= min(2.0, timeout):
                checked_worker = True
                if not app.control.ping(timeout=settings.WORKER_PING_TIMEOUT):
                    self.stderr.write(
                        "No Celery worker answered within "
                        f"{settings.WORKER_PING_TIMEOUT:.0f}s: the documents stay queued until "
                        "one runs. Start one with `celery -A workers worker`."
                    )
                    return False
            if time.monotonic() >= deadline:
                self.stderr.write(
                    f"Timed out after {timeout:.0f}s with {pending.count()} document(s) "
                    "still processing; they continue in the background."
                )
                return False
            time.sleep(0.25)
