"""Pages of the audit console, for administrators only: superusers and users granted
``docproc.view_auditevent``. Anyone else signed in gets 403, and that refusal is itself audited.

The list filters by user, matter, action and time, newest first, with the chain's verification
status on top: the last full check (``manage.py verify_audit`` or the scheduled task) and a live
check of only the records added since the newest intact one (``audit.live_check``), so a page
load never re-reads the whole log; a record opens on its own page; the filtered set exports as
CSV or JSON Lines, streamed, and the export is recorded (filters and row count) before its
first row leaves.
"""

from __future__ import annotations

import csv
import functools
import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from docproc.models import AuditEvent
from docproc.models.audit import (
    GENESIS_HASH,
    RECORD_FIELDS,
    Action,
    canonical_json,
    canonical_time,
)
from docproc.services import audit

PER_PAGE = 50
CSV_COLUMNS = RECORD_FIELDS
# A cell a spreadsheet would run as a formula starts with one of these (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def auditor_required(view):
    """Sign-in first (to the login page); then administrators only, others 403 (audited)."""

    @functools.wraps(view)
    def check(request, *args, **kwargs):
        if not audit.can_view(request.user):
            audit.denied(request.user, reason="not an administrator", status=403, path=request.path)
            raise PermissionDenied("The audit console is for administrators.")
        return view(request, *args, **kwargs)

    return login_required(check)


def _filters(request) -> tuple[audit.AuditFilter | None, dict[str, str]]:
    try:
        return audit.AuditFilter.from_params(request.GET), {}
    except audit.AuditFilterError as exc:
        return None, exc.errors


def _query(request) -> str:
    """The filter parameters as given (for export links), without the page number."""
    return urlencode({k: request.GET[k] for k in audit.AuditFilter.PARAMS if request.GET.get(k)})


@require_safe
@auditor_required
def events(request):
    """Records newest first, 50 a page, filtered by ``user``, ``matter``, ``action``, ``from``,
    ``to``; the chain's verification status above them (last full check, live check since)."""
    filters, errors = _filters(request)
    check = audit.live_check()
    page = None
    if filters is not None:
        page = Paginator(filters.events().order_by("-seq"), PER_PAGE).get_page(
            request.GET.get("page")
        )
    context = {
        "page": page,
        "errors": errors,
        "values": {name: request.GET.get(name, "") for name in audit.AuditFilter.PARAMS},
        "actions": Action.choices,
        "check": check,
        "chain": check.status,
        "query": _query(request),
        "filtered": filters is not None and bool(filters.as_params()),
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "console/events.html", context, status=400 if errors else 200)


@require_safe
@auditor_required
def event(request, seq: int):
    """One record in full, with whether its hash matches its content and links to the
    previous record's."""
    record = get_object_or_404(AuditEvent.objects.select_related("actor", "matter"), seq=seq)
    previous = AuditEvent.objects.filter(seq=seq - 1).values_list("hash", flat=True).first()
    context = {
        "event": record,
        "details": json.dumps(record.details, indent=2, sort_keys=True, ensure_ascii=False),
        "intact": record.compute_hash() == record.hash,
        "linked": record.prev_hash == (GENESIS_HASH if seq == 1 else previous),
        "has_previous": previous is not None,
        "has_next": AuditEvent.objects.filter(seq=seq + 1).exists(),
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "console/event.html", context)


@require_safe
@auditor_required
def export_csv(request):
    return _export(request, "csv")


@require_safe
@auditor_required
def export_jsonl(request):
    return _export(request, "jsonl")


class _Echo:
    """A file-like object whose ``write`` hands back the line, for ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_row(event: AuditEvent) -> list[str]:
    values = [
        event.seq,
        canonical_time(event.at),
        event.actor_name,
        event.action,
        event.matter_slug,
        event.target_type,
        event.target_id,
        event.client_address,
        event.request_id,
        canonical_json(event.details),
        event.prev_hash,
        event.hash,
    ]
    return [_cell(value) for value in values]


def _csv_lines(rows):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in rows:
        yield writer.writerow(csv_row(event))


def _jsonl_lines(rows):
    for event in rows:
        yield canonical_json(audit.export_line(event)) + "\n"


def _export(request, fmt: str):
    filters, errors = _filters(request)
    if filters is None:
        problems = "; ".join(f"{name}: {problem}" for name, problem in errors.items())
        return HttpResponse(f"Invalid filters: {problems}\n", status=400, content_type="text/plain")
    snapshot = audit.export(request.user, filters, fmt)
    rows = snapshot.events.iterator(chunk_size=1000)
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(_jsonl_lines(rows), content_type="application/x-ndjson")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    response["X-Audit-Rows"] = str(snapshot.rows)
    response["Cache-Control"] = "no-store"
    return response
