"""manage.py create_api_token --user U [--matter SLUG ...] --scopes read,write,ask,extract,manage
[--expires DAYS] [--name N]

Without ``--matter`` the token reaches every matter U is a member of; with the ``manage`` scope
it creates matters (if U holds ``docproc.add_matter``) and manages the members and legal holds
of the matters U manages (and screens, if U is a compliance officer). A token limited to
matters cannot create matters or manage screens."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import emit, matter_by_slug
from docproc.models.tokens import ALL_SCOPES
from docproc.services import audit, tokens


class Command(BaseCommand):
    help = (
        "Create an API token for a user and print it once, as JSON (only its hash is stored). "
        f"Scopes: {', '.join(ALL_SCOPES)}."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, help="Username the token acts as.")
        parser.add_argument(
            "--matter",
            action="append",
            default=[],
            metavar="SLUG",
            help="Limit the token to this matter (repeatable); default: all the user's matters.",
        )
        parser.add_argument(
            "--scopes", required=True, help=f"Comma-separated, from {','.join(ALL_SCOPES)}."
        )
        parser.add_argument("--expires", type=float, metavar="DAYS", help="Expire after DAYS.")
        parser.add_argument("--name", default="", help="What the token is for.")

    @audit.as_command
    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user named {options['user']!r}")
        matters = [matter_by_slug(slug) for slug in options["matter"]]
        try:
            issued = tokens.create_token(
                user,
                options["scopes"],
                matters=matters,
                expires_in_days=options["expires"],
                name=options["name"],
            )
        except tokens.TokenError as exc:
            raise CommandError(str(exc)) from exc
        emit(self, {"token": issued.plaintext, **tokens.describe(issued.token)})
