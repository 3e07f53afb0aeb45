"""manage.py retention forecast [--days N] | purge [--dry-run] — what retention will purge, and
purging it now (what the scheduled task does daily)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import emit
from docproc.services import audit, retention

MAX_DAYS = 36500  # a hundred years: the longest retention there is


class Command(BaseCommand):
    help = (
        "forecast: matters whose documents fall due for purging within --days (default 30), "
        "with counts and dates. purge: remove every document past retention now (legal holds "
        "respected, a receipt each); --dry-run lists what it would remove and removes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=("forecast", "purge"), nargs="?", default="forecast")
        parser.add_argument("--days", type=int, default=30, help="forecast horizon in days")
        parser.add_argument(
            "--dry-run", action="store_true", help="purge: list what is due, remove nothing"
        )

    @audit.as_command
    def handle(self, *args, **options) -> None:
        if not 0 <= options["days"] <= MAX_DAYS:
            raise CommandError(f"--days must be between 0 and {MAX_DAYS}")
        if options["action"] == "forecast" or options["dry_run"]:
            days = options["days"] if options["action"] == "forecast" else 0
            for line in retention.forecast(days):
                emit(self, line.as_dict())
            return
        report = retention.purge()
        for matter in report.matters:
            emit(self, matter.as_dict())
        emit(self, {"purged": report.purged, "files_removed": report.files_removed})
