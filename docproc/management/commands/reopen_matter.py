"""manage.py reopen_matter SLUG [--reason TEXT] — open a closed matter again (its retention
clock stops until it is closed again)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import emit, matter_by_slug, matter_status_line
from docproc.services import audit, matters


class Command(BaseCommand):
    help = "Reopen a closed matter: uploads and deletions are allowed again; retention stops."

    def add_arguments(self, parser) -> None:
        parser.add_argument("matter", help="the matter's reference (slug)")
        parser.add_argument("--reason", default="", help="why, for the audit log")

    @audit.as_command
    def handle(self, *args, **options) -> None:
        matter = matter_by_slug(options["matter"])
        try:
            matters.reopen_matter(None, matter, options["reason"])
        except matters.MatterError as exc:
            raise CommandError(str(exc)) from exc
        emit(self, matter_status_line(matter))
