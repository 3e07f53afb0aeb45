"""manage.py rebuild_index [--matter SLUG] — rebuild FAISS indexes from stored vectors."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from docproc.management.commands._output import emit, matter_by_slug
from docproc.models import Matter
from docproc.services import indexes


class Command(BaseCommand):
    help = "Rebuild one matter's index (or every matter's) from the vectors in the database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--matter")

    def handle(self, *args, **options) -> None:
        chosen = [matter_by_slug(options["matter"])] if options["matter"] else Matter.objects.all()
        for matter in chosen:
            emit(self, {"matter": matter.slug, "vectors": indexes.rebuild(matter)})
