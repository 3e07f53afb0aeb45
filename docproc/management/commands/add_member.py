"""manage.py add_member --matter SLUG --user NAME --role viewer|editor|manager"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import emit
from docproc.models import Role
from docproc.services import audit, matters, memberships


class Command(BaseCommand):
    help = "Give a user a role in a matter (creating both if missing; the user gets no password)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--matter", required=True)
        parser.add_argument("--user", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)

    @audit.as_command
    def handle(self, *args, **options) -> None:
        try:
            matter, _ = matters.get_or_create_matter(options["matter"])
            membership, created = memberships.add_member(matter, options["user"], options["role"])
        except matters.MatterError as exc:
            raise CommandError(str(exc)) from exc
        emit(
            self,
            {
                "matter": matter.slug,
                "user": membership.user.username,
                "role": membership.role,
                "created": created,
            },
        )
