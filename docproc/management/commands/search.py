"""manage.py search --matter SLUG [--k N] "query" — ranked passages as JSON lines, by the same
hybrid retrieval (meaning and exact terms) as the API and the UI."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import emit, matter_by_slug
from docproc.services import audit, dense_search, retrieval


class Command(BaseCommand):
    help = "Search a matter's passages; prints one JSON object per hit, best first."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--matter", required=True)
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument("query")

    @audit.as_command
    def handle(self, *args, **options) -> None:
        matter = matter_by_slug(options["matter"])
        try:
            hits = retrieval.hybrid_search(matter, options["query"], options["k"])
        except (dense_search.SearchError, dense_search.IndexUnavailableError) as exc:
            raise CommandError(str(exc)) from exc
        audit.record_search(None, matter, options["query"], options["k"], hits)
        for hit in hits:
            emit(self, hit.as_hit())
