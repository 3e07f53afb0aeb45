"""manage.py access_review — who can access which matter and when they last did, or (with
``--stale-days N``) the members who have not used a matter for N days; as JSON lines, or as
CSV with ``--csv PATH``. Recorded in the audit log (ACCESS_REVIEW) as ``system:access_review``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from docproc.management.commands._output import emit
from docproc.services import access_csv, access_review, audit

MAX_DAYS = 36500  # a hundred years


class Command(BaseCommand):
    help = (
        "Review who can access which matter (members with role, added by and when, screens in "
        "force, superusers as break-glass) and when each last did, from the audit log. "
        "--matter SLUG and --user NAME narrow it; --stale-days N lists instead the members who "
        "have not used a matter for N days (never used: counted from when they were added). "
        "Prints one JSON object a row, or writes CSV to --csv PATH."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--matter", default="", help="only this matter (its slug)")
        parser.add_argument("--user", default="", help="only this user (their user name)")
        parser.add_argument("--csv", dest="csv_path", default="", help="write CSV to this file")
        parser.add_argument(
            "--stale-days", type=int, default=None, help="list members idle for this many days"
        )

    @audit.as_command
    def handle(self, *args, **options) -> None:
        filters = access_review.ReviewFilter(matter=options["matter"], user=options["user"])
        stale_days = options["stale_days"]
        if stale_days is not None and not 0 <= stale_days <= MAX_DAYS:
            raise CommandError(f"--stale-days must be between 0 and {MAX_DAYS}")
        if stale_days is None:
            rows = access_review.review(filters)
            lines = access_csv.review_lines(rows)
            objects = [_review_object(row) for row in rows]
        else:
            stale = access_review.stale_members(stale_days, filters)
            lines = access_csv.stale_lines(stale)
            objects = [_stale_object(item) for item in stale]
        path = options["csv_path"]
        if path:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                access_csv.write_lines(lines, handle)
        else:
            for obj in objects:
                emit(self, obj)
        extra = {"stale_days": stale_days} if stale_days is not None else {}
        access_review.record_review(
            None, filters, rows=len(objects), output="csv" if path else "command", **extra
        )
        if path:
            self.stderr.write(f"{len(objects)} row(s) written to {path}")


def _review_object(row: access_review.AccessRow) -> dict:
    return {
        "matter": row.matter,
        "user": row.username,
        "access": row.access,
        "role": row.role or None,
        "superuser": row.superuser,
        "added_by": row.added_by,
        "added_at": access_csv.iso_time(row.added_at),
        "last_access": access_csv.iso_time(row.last_access),
        "note": row.note or None,
    }


def _stale_object(item: access_review.StaleMember) -> dict:
    return {
        "matter": item.row.matter,
        "user": item.row.username,
        "role": item.row.role,
        "added_at": access_csv.iso_time(item.row.added_at),
        "last_access": access_csv.iso_time(item.row.last_access),
        "idle_days": item.idle_days,
    }
