"""manage.py check_index [--matter SLUG] — index ↔ database consistency; exit 1 if broken."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from docproc.management.commands._output import emit, matter_by_slug
from docproc.models import Matter
from docproc.services import indexes


class Command(BaseCommand):
    help = "Check that each matter's index holds exactly the vectors of its indexed chunks."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--matter")

    def handle(self, *args, **options) -> None:
        chosen = [matter_by_slug(options["matter"])] if options["matter"] else Matter.objects.all()
        healthy = True
        for matter in chosen:
            result = indexes.check(matter)
            healthy &= result.ok
            emit(self, result.as_dict())
        if not healthy:
            sys.exit(1)
