"""manage.py close_matter SLUG [--reason TEXT] — make a matter read-only; its retention starts."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import emit, matter_by_slug, matter_status_line
from docproc.services import audit, matters


class Command(BaseCommand):
    help = (
        "Close a matter: no more uploads, reprocessing or single deletions (questions still "
        "work); its retention period runs from now."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("matter", help="the matter's reference (slug)")
        parser.add_argument("--reason", default="", help="why, for the audit log")

    @audit.as_command
    def handle(self, *args, **options) -> None:
        matter = matter_by_slug(options["matter"])
        try:
            matters.close_matter(None, matter, options["reason"])
        except matters.MatterError as exc:
            raise CommandError(str(exc)) from exc
        emit(self, matter_status_line(matter))
