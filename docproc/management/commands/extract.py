"""manage.py extract DOCUMENT_ID --schema NAME|FILE.json — fields with page, quote, verified."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import document_by_id, emit
from docproc.pipeline.llm.client import LLMError
from docproc.services import audit, extraction


class Command(BaseCommand):
    help = "Extract structured fields from a document with a built-in or a JSON Schema file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("document_id", type=int)
        parser.add_argument(
            "--schema",
            required=True,
            help=f"built-in ({', '.join(extraction.builtin_schemas())}) or a .json file",
        )

    @audit.as_command
    def handle(self, *args, **options) -> None:
        document = document_by_id(options["document_id"])
        name: str = options["schema"]
        schema: str | dict[str, Any] = name
        if name.endswith(".json"):
            try:
                schema = json.loads(Path(name).read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise CommandError(f"cannot read the schema file: {exc}") from exc
        try:
            result = extraction.extract(document, schema)
        except (extraction.SchemaError, LLMError) as exc:
            raise CommandError(str(exc)) from exc
        audit.record_extraction(None, document, result)
        emit(self, result)
