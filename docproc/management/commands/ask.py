"""manage.py ask --matter SLUG [--document ID ...] [--stream] "question" — a cited answer."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import emit, matter_by_slug
from docproc.pipeline.llm.client import LLMError
from docproc.services import answers, audit


class Command(BaseCommand):
    help = "Answer a question from a matter's documents, with verified citations (JSON)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--matter", required=True)
        parser.add_argument("--document", type=int, action="append", dest="documents",
                            help="only these documents (repeatable)")  # fmt: skip
        parser.add_argument("--stream", action="store_true",
                            help="print the text as it arrives, one JSON event a line")  # fmt: skip
        parser.add_argument("question")

    @audit.as_command
    def handle(self, *args, **options) -> None:
        matter = matter_by_slug(options["matter"])
        documents = options["documents"]

        def shown(answer: answers.Answer) -> None:
            audit.record_answer(None, matter, answer, documents=documents, streamed=True)

        try:
            if options["stream"]:
                for event in answers.stream_ask(
                    matter, options["question"], document_ids=documents, on_answer=shown
                ):
                    emit(self, event)
                    self.stdout.flush()
                return
            answer = answers.ask(matter, options["question"], document_ids=documents)
        except (answers.QuestionError, LLMError) as exc:
            raise CommandError(str(exc)) from exc
        audit.record_answer(None, matter, answer, documents=documents)
        emit(self, answer.as_dict())
