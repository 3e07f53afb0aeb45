"""manage.py verify_audit — check the audit log's hash chain; exit 1 if it is broken."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from docproc.management.commands._output import emit
from docproc.services import audit


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain and print "
        '{"ok", "checked", "first_broken_seq", "problem"}; exit status 1 names a broken chain.'
    )

    def handle(self, *args, **options) -> None:
        status = audit.verify_chain()
        emit(self, status.as_dict())
        if not status.ok:
            sys.exit(1)
