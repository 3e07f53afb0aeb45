"""manage.py hold place|release (--matter SLUG | --document ID) [--reason TEXT] | list
[--matter SLUG] — legal holds: while one is active nothing it covers can be deleted or purged."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from docproc.management.commands._output import document_by_id, emit, matter_by_slug
from docproc.models import Document, LegalHold, Matter
from docproc.services import audit, holds, matters


class Command(BaseCommand):
    help = (
        "Place or release a legal hold on a matter or one document (with a reason, audited), or "
        "list the active holds."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=("place", "release", "list"))
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--matter", help="the matter's reference (slug)")
        target.add_argument("--document", type=int, help="a document's id")
        parser.add_argument(
            "--reason", default="", help="why (required to place: the litigation or request)"
        )

    @audit.as_command
    def handle(self, *args, **options) -> None:
        if options["action"] == "list":
            active = LegalHold.objects.active().select_related("matter", "document__matter")
            if options["matter"]:  # the matter's own hold and its documents'
                listed = matter_by_slug(options["matter"])
                active = active.filter(Q(matter=listed) | Q(document__matter=listed))
            elif options["document"]:
                active = active.filter(document_id=options["document"])
            for hold in active:
                emit(self, _line(hold))
            return
        matter = matter_by_slug(options["matter"]) if options["matter"] else None
        document = document_by_id(options["document"]) if options["document"] else None
        if matter is None and document is None:
            raise CommandError("name the matter (--matter SLUG) or the document (--document ID)")
        try:
            if options["action"] == "place":
                hold = holds.place_hold(
                    None, reason=options["reason"], matter=matter, document=document
                )
            else:
                hold = _release(matter, document, options["reason"])
        except matters.MatterError as exc:
            raise CommandError(str(exc)) from exc
        emit(self, _line(hold))


def _release(matter: Matter | None, document: Document | None, reason: str) -> LegalHold:
    hold = holds.active_hold(matter=matter, document=document)
    if hold is None:
        what = f"matter {matter.slug}" if matter else f"document {document.pk}"  # type: ignore[union-attr]
        raise CommandError(f"There is no active legal hold on the {what}.")
    return holds.release_hold(None, hold, reason)


def _line(hold: LegalHold) -> dict:
    document = hold.document
    return {
        "hold": hold.pk,
        "on": "document" if document else "matter",
        "matter": hold.matter.slug if hold.matter else document.matter.slug,  # type: ignore[union-attr]
        "document": document.pk if document else None,
        "reason": hold.reason,
        "placed_by": hold.placed_by.get_username() if hold.placed_by else "system",
        "placed_at": hold.placed_at,
        "active": hold.is_active,
        "released_at": hold.released_at,
        "release_reason": hold.release_reason,
    }
