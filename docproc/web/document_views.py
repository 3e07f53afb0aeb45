"""The staff UI's document page: its text page by page, with a cited passage highlighted."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from docproc.services import audit
from docproc.web.lookups import document_or_404, status_words

PAGES_PER_SCREEN = 10


@require_safe
@login_required
def document_detail(request, document_id: int):
    """A document's text, page by page, ten pages a screen. ``?page=N`` opens the screen holding
    page N; with ``&start=a&end=b`` the passage ``[a, b)`` of that page is highlighted."""
    document = document_or_404(request.user, document_id)
    target = _int_param(request, "page", 1)
    first = ((max(target, 1) - 1) // PAGES_PER_SCREEN) * PAGES_PER_SCREEN + 1
    last = first + PAGES_PER_SCREEN - 1
    pages = list(document.pages.filter(number__gte=first, number__lte=last).order_by("number"))
    start, end = _int_param(request, "start", None), _int_param(request, "end", None)
    for page in pages:
        page.parts = _highlight(page.text, start, end) if page.number == target else None
    audit.record(
        request.user,
        audit.Action.VIEW_DOCUMENT,
        target=document,
        details={"part": "pages", "pages": [page.number for page in pages]},
    )
    total = document.page_count or 0
    context = {
        "document": document,
        "status_words": status_words(document),
        "pages": pages,
        "first": first,
        "last": min(last, total) if total else last,
        "previous_page": first - PAGES_PER_SCREEN if first > 1 else None,
        "next_page": last + 1 if last < total else None,
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
