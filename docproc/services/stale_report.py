"""The periodic stale-members report: the members who have not used a matter for
``DOCPROC_STALE_MEMBER_DAYS`` days, written as CSV into ``DOCPROC_REPORT_DIR`` and recorded in
the audit log (ACCESS_REVIEW), for a compliance officer to act on (remove them, or not).

Celery beat sends ``workers.tasks.report_stale_members`` every ``DOCPROC_ACCESS_REPORT_EVERY_S``
(``docproc/celery_app.py``). The file appears whole or not at all (written aside, then renamed).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from docproc.services import access_csv, access_review, audit


@dataclass(frozen=True, slots=True)
class StaleReport:
    path: Path
    days: int
    rows: int

    def as_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "days": self.days, "rows": self.rows}


def write_stale_report(
    *, days: int | None = None, directory: Path | None = None, now: datetime | None = None
) -> StaleReport:
    """Write ``stale-members-<UTC time>.csv`` into ``directory`` (default: the report
    directory) and record it; returns where, for how many days idle, and how many rows."""
    days = settings.STALE_MEMBER_DAYS if days is None else days
    directory = Path(directory or settings.REPORT_DIR)
    now = now or timezone.now()
    stale = access_review.stale_members(days, now=now)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"stale-members-{now.strftime('%Y%m%dT%H%M%SZ')}.csv"
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".stale-members-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            access_csv.write_lines(access_csv.stale_lines(stale), out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    with audit.bound(audit.RequestContext(system_actor="system:report_stale_members")):
        access_review.record_review(
            None,
            access_review.ReviewFilter(),
            rows=len(stale),
            output="report",
            stale_days=days,
            file=path.name,
        )
    return StaleReport(path, days, len(stale))
