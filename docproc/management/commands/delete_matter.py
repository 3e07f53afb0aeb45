"""manage.py delete_matter SLUG — remove a whole matter: every document (a receipt each), its
index, memberships and screens, and one matter receipt listing them. Refused under a legal hold."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import emit, matter_by_slug
from docproc.services import audit, matters
from docproc.services.matter_deletion import delete_matter


class Command(BaseCommand):
    help = (
        "Delete a matter with all its documents, index, memberships and screens; prints the "
        "matter's receipt. Refused while a legal hold covers it or any document in it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("matter", help="the matter's reference (slug)")

    @audit.as_command
    def handle(self, *args, **options) -> None:
        matter = matter_by_slug(options["matter"])
        try:
            receipt = delete_matter(None, matter)
        except matters.MatterError as exc:  # a legal hold (code legal_hold), in words
            raise CommandError(str(exc)) from exc
        emit(
            self,
            {
                "receipt": receipt.pk,
                "matter": receipt.slug,
                "documents_removed": len(receipt.documents),
                "index_removed": receipt.index_removed,
            },
        )
