"""manage.py verify_audit — check the whole audit log's hash chain against the head anchored
outside the database, record a checkpoint, anchor the new head; exit 1 if it is broken."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from docproc.management.commands._output import emit
from docproc.services import audit


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain, compare its head with the last one anchored in "
        "DOCPROC_AUDIT_ANCHOR_FILE (newest records removed: 'cut short'), record a checkpoint "
        "and anchor the new head (file, and syslog if DOCPROC_AUDIT_SYSLOG_ADDRESS is set). "
        'Prints {"ok", "checked", "first_broken_seq", "problem"}; exit status 1 names a broken '
        "chain."
    )

    def handle(self, *args, **options) -> None:
        status = audit.full_check()
        emit(self, status.as_dict())
        if not status.ok:
            sys.exit(1)
