"""The access-review pages: who can access which matter and when they last did (a table,
filtered by matter or user, and its CSV download), and what the retention purge will remove in
the next 30 days.

Who may open them: superusers and holders of ``docproc.review_access`` (the "Compliance
officers" group), checked by ``compliance.access.requires`` like every compliance page; anyone
else signed in gets 403, and the refusal is audited. These pages name matters and users, never
a document's content. Seeing the review and downloading it are both recorded (ACCESS_REVIEW),
the download before its first row leaves.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from docproc.compliance.access import requires
from docproc.services import access_csv, access_review, retention

REVIEW_PERMISSION = "docproc.review_access"
PER_PAGE = 200


def _filters(request) -> access_review.ReviewFilter:
    return access_review.ReviewFilter(
        matter=request.GET.get("matter", "").strip()[:100],
        user=request.GET.get("user", "").strip()[:150],
    )


@require_safe
@requires(REVIEW_PERMISSION)
def access(request):
    """The review as a table, ``PER_PAGE`` rows a page, filtered by ``matter`` (slug) and
    ``user`` (user name)."""
    filters = _filters(request)
    rows = access_review.review(filters)
    access_review.record_review(request.user, filters, rows=len(rows), output="page")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode(filters.as_details())
    context = {
        "page": page,
        "filters": filters,
        "query": query,
        "total": len(rows),
        "members": sum(1 for row in rows if row.access == access_review.Access.MEMBER),
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "compliance/access.html", context)


@require_safe
@requires(REVIEW_PERMISSION)
def access_csv_export(request):
    """The filtered review as CSV, one row per (matter, user), streamed; recorded first."""
    filters = _filters(request)
    rows = access_review.review(filters)
    access_review.record_review(request.user, filters, rows=len(rows), output="csv")
    response = StreamingHttpResponse(
        access_csv.review_lines(rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="access-review-{stamp}.csv"'
    response["X-Access-Review-Rows"] = str(len(rows))
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@requires(REVIEW_PERMISSION)
def retention_forecast(request):
    """Read-only: the closed matters whose retention runs out in the next
    ``DOCPROC_RETENTION_FORECAST_DAYS`` (or ran out already), how many documents the purge will
    remove from each, and what the last scheduled purge did."""
    days = settings.RETENTION_FORECAST_DAYS
    due = retention.forecast(days)
    last = retention.last_run()
    context = {
        "due": due,
        "days": days,
        "documents": sum(item.documents for item in due),
        "last": last,
        "last_at": datetime.fromisoformat(last["at"]) if last else None,
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "compliance/retention.html", context)
