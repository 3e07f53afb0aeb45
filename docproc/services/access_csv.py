"""The access review and the stale-members report as CSV, one row per (matter, user).

Lines are produced one at a time (``review_lines``, ``stale_lines``), so a page can stream them
and a command or task can write them to a file (``write_lines``). A cell that a spreadsheet
would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)
is prefixed with ``'`` (OWASP: CSV injection); user names, full names and matter names are
chosen by people. Times are UTC, ISO 8601, to the second.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TextIO

from docproc.services.access_review import AccessRow, StaleMember

REVIEW_COLUMNS = [
    "matter",
    "matter_name",
    "matter_status",
    "user",
    "full_name",
    "access",
    "role",
    "superuser",
    "added_by",
    "added_at",
    "last_access",
    "note",
]
STALE_COLUMNS = [
    "matter",
    "matter_name",
    "user",
    "full_name",
    "role",
    "added_by",
    "added_at",
    "last_access",
    "idle_days",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def iso_time(value: datetime | None) -> str | None:
    """``value`` in UTC, ISO 8601 to the second (None stays None)."""
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cell(value: object) -> str:
    """``value`` as CSV text, neutralised if a spreadsheet would read it as a formula."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, datetime):
        text = iso_time(value) or ""
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def review_row(row: AccessRow) -> list[str]:
    values = [
        row.matter,
        row.matter_name,
        row.matter_status,
        row.username,
        row.full_name,
        row.access,
        row.role,
        row.superuser,
        row.added_by,
        row.added_at,
        row.last_access,
        row.note,
    ]
    return [cell(value) for value in values]


def stale_row(stale: StaleMember) -> list[str]:
    row = stale.row
    values = [
        row.matter,
        row.matter_name,
        row.username,
        row.full_name,
        row.role,
        row.added_by,
        row.added_at,
        row.last_access,
        stale.idle_days,
    ]
    return [cell(value) for value in values]


class _Echo:
    """A file-like object whose ``write`` hands back the line, for ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def _lines(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def review_lines(rows: Iterable[AccessRow]) -> Iterator[str]:
    """The review as CSV lines (``\\r\\n`` ends), header first."""
    return _lines(REVIEW_COLUMNS, (review_row(row) for row in rows))


def stale_lines(rows: Iterable[StaleMember]) -> Iterator[str]:
    """The stale-members report as CSV lines, header first."""
    return _lines(STALE_COLUMNS, (stale_row(row) for row in rows))


def write_lines(lines: Iterable[str], handle: TextIO) -> None:
    for line in lines:
        handle.write(line)
