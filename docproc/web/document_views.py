"""The staff UI's document page: its text page by page with a cited passage highlighted, the
document's summary and its extracted fields, each value and statement linked to its passage.

Summaries and extractions are made through the REST API as jobs (``static/docproc/document.js``
starts and polls them); this page shows what already exists: the cached summary for the
current model and prompt, and the latest extraction the user ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from docproc.models import Document, DocumentStatus, Job, JobKind, JobStatus, Role
from docproc.services import audit, extraction, holds, summaries
from docproc.web.hold_views import hold_words
from docproc.web.lookups import document_or_404, status_words

PAGES_PER_SCREEN = 10

# The role the summary and extract endpoints ask of a session user (api/llm_views.py): the
# page offers those buttons only to users the API would let use them.
LLM_MIN_ROLE = Role.VIEWER


@dataclass(frozen=True, slots=True)
class ShownPage:
    """A page as the template shows it; ``parts`` is (before, passage, after) on the page
    whose cited passage is highlighted, else None."""

    number: int
    text: str
    source: str
    parts: tuple[str, str, str] | None = None


@require_safe
@login_required
def document_detail(request, document_id: int):
    """A document's text, page by page, ten pages a screen. ``?page=N`` opens the screen holding
    page N; with ``&start=a&end=b`` the passage ``[a, b)`` of that page is highlighted. Below:
    the summary and extracted fields of an indexed document."""
    document = document_or_404(request.user, document_id)
    target = _int_param(request, "page", 1)
    first = ((max(target, 1) - 1) // PAGES_PER_SCREEN) * PAGES_PER_SCREEN + 1
    last = first + PAGES_PER_SCREEN - 1
    start, end = _int_param(request, "start", None), _int_param(request, "end", None)
    pages = [
        ShownPage(
            page.number,
            page.text,
            page.source,
            _highlight(page.text, start, end) if page.number == target else None,
        )
        for page in document.pages.filter(number__gte=first, number__lte=last).order_by("number")
    ]
    audit.record(
        request.user,
        audit.Action.VIEW_DOCUMENT,
        target=document,
        details={"part": "pages", "pages": [page.number for page in pages]},
    )
    indexed = document.status == DocumentStatus.INDEXED
    summary = _shown_summary(request.user, document) if indexed else None
    fields_job = _shown_extraction(request.user, document) if indexed else None
    total = document.page_count or 0
    own_hold = holds.active_hold(document=document)
    covering = own_hold or holds.active_hold(matter=document.matter)
    context = {
        "document": document,
        "hold_words": hold_words(covering) if covering else None,
        "hold_on_matter": own_hold is None and covering is not None,
        "own_hold": own_hold,
        "is_manager": document.matter.allows(request.user, Role.MANAGER),
        "status_words": status_words(document),
        "pages": pages,
        "first": first,
        "last": min(last, total) if total else last,
        "previous_page": first - PAGES_PER_SCREEN if first > 1 else None,
        "next_page": last + 1 if last < total else None,
        "indexed": indexed,
        "can_run": indexed and document.matter.allows(request.user, LLM_MIN_ROLE),
        "summary": summary_view(summary) if summary else None,
        # Never null: _shown_extraction only finds jobs with a result.
        "fields": (
            fields_view(document.pk, fields_job.result)
            if fields_job and fields_job.result is not None
            else None
        ),
        "fields_job": fields_job,
        "schemas": [(name, human_name(name)) for name in extraction.builtin_schemas()],
        "schema_fields": schema_fields(),
    }
    return render(request, "web/document.html", context)


def _int_param(request, name: str, default):
    try:
        return int(request.GET[name])
    except (KeyError, ValueError):
        return default


def _highlight(text: str, start: int | None, end: int | None) -> tuple[str, str, str] | None:
    """(before, passage, after) when ``[start, end)`` is a valid span of ``text``."""
    if start is None or end is None or not 0 <= start < end <= len(text):
        return None
    return text[:start], text[start:end], text[end:]


# --- what the page shows beside the text, each shown item audited ----------------------------


def _shown_summary(user, document: Document) -> dict | None:
    """The cached summary, recorded as shown (as ``GET .../summary/`` records a cached one)."""
    summary = summaries.cached_any(document)
    if summary is not None:
        audit.record_summary(user, document, summary)
    return summary


def _shown_extraction(user, document: Document) -> Job | None:
    """The user's latest succeeded extraction of ``document`` (a job's outcome is its starter's
    alone, as ``GET jobs/{id}/`` has it), recorded as shown."""
    job = (
        Job.objects.filter(
            document=document, user=user, kind=JobKind.EXTRACT, status=JobStatus.SUCCEEDED
        )
        .filter(result__isnull=False)
        .order_by(F("finished_at").desc(nulls_last=True), "-created_at")
        .first()
    )
    if job is not None and job.result is not None:  # never null: filtered above
        audit.record(
            user,
            audit.Action.VIEW_DOCUMENT,
            target=document,
            details={"part": "fields", "job": str(job.pk), "schema": job.result.get("schema")},
        )
    return job


# --- shaping results for the templates (document.js renders the same shapes) ------------------


def passage_url(document_id: int, page: int, start: int | None, end: int | None) -> str:
    """The document page at ``page`` with ``[start, end)`` highlighted and scrolled to; the page
    alone when the passage could not be located."""
    base = reverse("web:document", args=[document_id])
    if start is None or end is None:
        return f"{base}?{urlencode({'page': page})}#page-{page}"
    return f"{base}?{urlencode({'page': page, 'start': start, 'end': end})}#passage"


def linked_citation(citation: dict) -> dict:
    """A citation with ``href`` (None when it names no page: a marker the model invented)."""
    page = citation.get("page")
    href = None
    if citation.get("document") and page:
        href = passage_url(
            citation["document"], page, citation.get("char_start"), citation.get("char_end")
        )
    return {**citation, "href": href}


def summary_statements(statements: list[str], citations: list[dict]) -> list[dict]:
    """The summary's statements, each with its own citations (linked) and whether all of them
    (at least one) were verified against that statement's words."""
    shown: list[dict[str, Any]] = [{"text": text, "citations": []} for text in statements]
    for citation in citations:
        index = citation.get("statement")
        if isinstance(index, int) and 0 <= index < len(shown):
            shown[index]["citations"].append(linked_citation(citation))
    for statement in shown:
        cited = statement["citations"]
        statement["verified"] = bool(cited) and all(c["verified"] for c in cited)
    return shown


def summary_view(result: dict) -> dict:
    """A summary result with its statements split out and their citations linked."""
    return {
        **result,
        "statements": summary_statements(result.get("statements", []), result.get("citations", [])),
    }


def human_name(name: str) -> str:
    """``effective_date`` → ``Effective date``."""
    words = str(name).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def field_status(field: dict) -> str:
    """``verified``, ``not found`` (the model found the document does not state it) or ``not
    verified`` (a value that could not be trusted, or no usable answer from the model)."""
    if field.get("verified"):
        return "verified"
    if field.get("value") is None and field.get("reason") == extraction.NOT_STATED:
        return "not found"
    return "not verified"


def _value_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return str(value)


def schema_fields() -> dict[str, list[str]]:
    """Each built-in schema's field names in the schema's order (a stored result's fields
    come back from PostgreSQL's jsonb in its own key order)."""
    return {name: list(spec["properties"]) for name, spec in extraction.builtin_schemas().items()}


def _in_schema_order(schema: str, fields: dict) -> list[str]:
    known = [name for name in schema_fields().get(schema, []) if name in fields]
    return known + [name for name in fields if name not in known]


def fields_view(document_id: int, result: dict) -> dict:
    """An extraction's result as table rows, in the schema's order: field name, value, source
    link, status."""
    rows = []
    fields = result.get("fields") or {}
    for name in _in_schema_order(result.get("schema", ""), fields):
        field = fields[name]
        page = field.get("page")
        href = (
            passage_url(document_id, page, field.get("char_start"), field.get("char_end"))
            if page
            else None
        )
        rows.append(
            {
                "name": name,
                "label": human_name(name),
                "value": _value_text(field.get("value")),
                "page": page,
                "quote": field.get("quote") or "",
                "href": href,
                "status": field_status(field),
                "reason": field.get("reason") or "",
            }
        )
    return {
        "schema": result.get("schema", ""),
        "label": human_name(result.get("schema", "")),
        "rows": rows,
        "model": result.get("model", ""),
    }
