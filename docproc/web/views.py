"""Pages of the staff UI. Every view needs a login and fetches its object through a
``visible_to`` queryset: a matter or document the user is not a member of is a 404."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from docproc.models import Document, DocumentStatus, Matter, Membership, Role
from docproc.services import audit, ingestion, storage
from docproc.services import search as search_service
from docproc.web.forms import SearchForm, UploadForm

logger = logging.getLogger(__name__)

# Each state in plain words (the page also shows them to the polling script).
STATUS_WORDS = {
    DocumentStatus.RECEIVED: "Waiting to be processed",
    DocumentStatus.PARSING: "Reading the text",
    DocumentStatus.CHUNKING: "Splitting into passages",
    DocumentStatus.EMBEDDING: "Preparing for search",
    DocumentStatus.INDEXED: "Ready",
    DocumentStatus.FAILED: "Failed",
    DocumentStatus.NEEDS_PASSWORD: "Needs a password",
}

PAGES_PER_SCREEN = 10


def _matter_or_404(user, matter_id: int) -> Matter:
    matter = Matter.objects.visible_to(user).filter(pk=matter_id).first()
    if matter is None:
        audit.hidden_object_denied(user, Matter, matter_id)
        raise Http404("Matter not found.")
    return matter


def _document_or_404(user, document_id: int) -> Document:
    document = (
        Document.objects.visible_to(user).select_related("matter").filter(pk=document_id).first()
    )
    if document is None:
        audit.hidden_object_denied(user, Document, document_id)
        raise Http404("Document not found.")
    return document


def _with_words(documents) -> list[Document]:
    documents = list(documents)
    for document in documents:
        document.status_words = STATUS_WORDS.get(document.status, document.status)
    return documents


@require_safe
@login_required
def home(request):
    """The user's matters, with their role in each."""
    role = Membership.objects.filter(matter=OuterRef("pk"), user=request.user).values("role")[:1]
    matters = Matter.objects.visible_to(request.user).annotate(
        role=Subquery(role), document_count=Count("documents", distinct=True)
    )
    return render(request, "web/home.html", {"matters": matters})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def matter_detail(request, matter_id: int):
    """A matter: its documents (refreshed by a small script while any is processing), an upload
    form for editors and managers, and a search box (``?q=``)."""
    matter = _matter_or_404(request.user, matter_id)
    role = matter.role_of(request.user)
    can_upload = matter.allows(request.user, Role.EDITOR)
    status_code = 200

    upload_form = UploadForm()
    if request.method == "POST":
        if not can_upload:
            audit.denied(request.user, reason="needs the editor role", status=403, matter=matter)
            raise PermissionDenied("Uploading needs the editor or manager role.")
        upload_form = UploadForm(request.POST, request.FILES)
        if upload_form.is_valid():
            if _submit_all(request, matter, upload_form):
                return redirect("web:matter", matter_id=matter.pk)
        status_code = 413 if upload_form.has_error("files", "payload_too_large") else 400

    hits, search_form = None, SearchForm(request.GET if "q" in request.GET else None)
    if search_form.is_valid():
        try:
            query, k = search_form.cleaned_data["q"], search_form.cleaned_data["k"] or 10
            hits = search_service.search(matter, query, k)
        except search_service.SearchError as exc:
            search_form.add_error("q", str(exc))
        else:
            audit.record_search(request.user, matter, query, k, hits)

    documents = _with_words(matter.documents.all())
    context = {
        "matter": matter,
        "role": role,
        "can_upload": can_upload,
        "upload_form": upload_form,
        "search_form": search_form,
        "hits": hits,
        "documents": documents,
        "processing": sum(1 for d in documents if not d.is_final),
        "status_words": {str(k): v for k, v in STATUS_WORDS.items()},
    }
    return render(request, "web/matter.html", context, status=status_code)


def _submit_all(request, matter: Matter, form: UploadForm) -> bool:
    """Hand every uploaded file to ``ingestion.submit`` and say what happened. Returns False
    (with the error on the form) if the service refused a file as too large."""
    created, existing = [], []
    for upload in form.cleaned_data["files"]:
        try:
            submission = ingestion.submit(matter, upload.name, upload.chunks(), request.user)
        except storage.UploadTooLargeError as exc:
            form.add_error("files", f"{upload.name}: {exc}")
            return False
        (created if submission.created else existing).append(submission.document)
    if created:
        messages.success(
            request,
            f"Received {len(created)} new file{'s' if len(created) != 1 else ''}: "
            + ", ".join(d.filename for d in created)
            + ".",
        )
    if existing:
        messages.info(
            request,
            "Already in this matter (not uploaded again): "
            + ", ".join(d.filename for d in existing)
            + ".",
        )
    return True


@require_safe
@login_required
def document_detail(request, document_id: int):
    """A document's text, page by page, ten pages a screen. ``?page=N`` opens the screen holding
    page N; with ``&start=a&end=b`` the passage ``[a, b)`` of that page is highlighted."""
    document = _document_or_404(request.user, document_id)
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
        "status_words": STATUS_WORDS.get(document.status, document.status),
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
