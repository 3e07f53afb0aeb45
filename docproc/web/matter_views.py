"""The staff UI's home page (the user's matters) and matter page (documents, upload, search).

The matter page works as plain HTML forms; ``static/docproc/matter.js`` and ``upload.js`` add
drag-and-drop upload with progress, a document list that follows processing, and password and
delete dialogs, all through the REST API with the same session. The ids and ``data-*``
attributes those scripts (and their browser tests) rely on are in ``templates/web/matter.html``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from docproc.models import Document, DocumentStatus, Matter, Membership, Role
from docproc.services import audit, holds, ingestion, retrieval, storage
from docproc.services import dense_search as search_service
from docproc.services import matters as matter_service
from docproc.web.forms import SearchForm, UploadForm
from docproc.web.highlight import highlight
from docproc.web.hold_views import hold_words
from docproc.web.lookups import STATUS_WORDS, matter_or_404, status_words
from docproc.web.matter_forms import ReasonForm

# What a document's row says instead of its delete button while a hold covers it.
MATTER_HELD_NOTE = "On legal hold (with the matter): it cannot be deleted."
DOCUMENT_HELD_NOTE = "On legal hold: it cannot be deleted."


def _with_words(documents, held: set[int], matter_hold: str | None) -> list[Document]:
    """The documents, each with its status in words and (``hold_note``) why it cannot be
    deleted while a legal hold covers it."""
    documents = list(documents)
    for document in documents:
        document.status_words = status_words(document)
        document.hold_note = (
            MATTER_HELD_NOTE if matter_hold else DOCUMENT_HELD_NOTE if document.pk in held else ""
        )
    return documents


@require_safe
@login_required
def home(request):
    """The user's matters, with their role in each."""
    role = Membership.objects.filter(matter=OuterRef("pk"), user=request.user).values("role")[:1]
    matters = Matter.objects.visible_to(request.user).annotate(
        role=Subquery(role), document_count=Count("documents", distinct=True)
    )
    context = {"matters": matters, "can_create": matter_service.can_create_matters(request.user)}
    return render(request, "web/home.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def matter_detail(request, matter_id: int):
    """A matter: its documents (kept current by a small script), an upload form and per-document
    password and delete buttons for editors and managers while it is open, and a search box
    (``?q=``) whose hits have the query's words marked. A closed matter says so and offers no
    upload; a held one says who held it, when and why. Managers get its management links."""
    matter = matter_or_404(request.user, matter_id)
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
            try:
                if _submit_all(request, matter, upload_form):
                    return redirect("web:matter", matter_id=matter.pk)
            except matter_service.MatterClosedError as error:
                messages.error(request, str(error))
                status_code = 409
        if status_code != 409:
            status_code = 413 if upload_form.has_error("files", "payload_too_large") else 400

    hits, search_form = None, SearchForm(request.GET if "q" in request.GET else None)
    if search_form.is_valid():
        try:
            query, k = search_form.cleaned_data["q"], search_form.cleaned_data["k"] or 10
            found = retrieval.hybrid_search(matter, query, k)
        except (search_service.SearchError, search_service.IndexUnavailableError) as exc:
            search_form.add_error("q", str(exc))
        else:
            audit.record_search(request.user, matter, query, k, found)
            hits = [(hit, highlight(hit.text, query)) for hit in found]

    matter_hold = holds.active_hold(matter=matter)
    matter_hold_words = hold_words(matter_hold) if matter_hold else None
    held = holds.held_document_ids(matter)
    documents = _with_words(matter.documents.all(), held, matter_hold_words)
    is_manager = role == Role.MANAGER
    context = {
        "matter": matter,
        "role": role,
        # Changing documents (upload, password, delete) stops while the matter is closed.
        "can_upload": can_upload and not matter.is_closed,
        "is_manager": is_manager,
        "matter_hold_words": matter_hold_words,
        "held_documents": 0 if matter_hold_words else len(held & {d.pk for d in documents}),
        "status_form": ReasonForm(auto_id="status_%s"),
        "upload_form": upload_form,
        "search_form": search_form,
        "hits": hits,
        "documents": documents,
        "row_prototype": _row_prototype(MATTER_HELD_NOTE if matter_hold_words else ""),
        "processing": sum(1 for d in documents if not d.is_final),
        "max_upload_bytes": settings.MAX_UPLOAD_BYTES,
        "status_words": {str(k): v for k, v in STATUS_WORDS.items()},
    }
    return render(request, "web/matter.html", context, status=status_code)


def _row_prototype(hold_note: str) -> Document:
    """An unsaved document (id 0) the template renders as the row the script copies for
    documents that appear while the page is open."""
    prototype = Document(pk=0, filename="", status=DocumentStatus.RECEIVED)
    # A display attribute for the template, not a field (as _with_words sets on each row).
    prototype.status_words = ""  # type: ignore[attr-defined]
    prototype.hold_note = hold_note  # type: ignore[attr-defined]
    return prototype


def _submit_all(request, matter: Matter, form: UploadForm) -> bool:
    """Hand every uploaded file to ``ingestion.submit`` and say what happened. Returns False
    (with the error on the form) if the service refused a file as too large."""
    created: list[Document] = []
    existing: list[Document] = []
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
