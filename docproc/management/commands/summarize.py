"""manage.py summarize DOCUMENT_ID [--refresh] — a cited summary with its coverage."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import document_by_id, emit
from docproc.pipeline.llm.client import LLMError
from docproc.services import audit, summaries


class Command(BaseCommand):
    help = "Summarise a document (map-reduce when longer than the model's context)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("document_id", type=int)
        parser.add_argument("--refresh", action="store_true", help="ignore the cached summary")

    @audit.as_command
    def handle(self, *args, **options) -> None:
        document = document_by_id(options["document_id"])
        try:
            result = summaries.summarize(document, refresh=options["refresh"])
        except (summaries.SummaryError, LLMError) as exc:
            raise CommandError(str(exc)) from exc
        audit.record_summary(None, document, result)
        emit(self, result)
