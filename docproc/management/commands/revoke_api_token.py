"""manage.py revoke_api_token PREFIX"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import emit
from docproc.models import ApiToken
from docproc.models.tokens import PREFIX_LENGTH
from docproc.services import audit, tokens


class Command(BaseCommand):
    help = "Revoke an API token by its prefix (its first 8 characters, e.g. dp_Ab3xY)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("prefix")

    @audit.as_command
    def handle(self, *args, **options) -> None:
        prefix = options["prefix"].strip()[:PREFIX_LENGTH]  # a whole token works too
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if token is None:
            raise CommandError(f"no token with prefix {prefix!r}")
        revoked = tokens.revoke(token)
        emit(self, {**tokens.describe(token), "revoked": revoked})
