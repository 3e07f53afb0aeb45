"""The staff UI's Ask page: a question about one matter (optionally narrowed to some of its
documents), answered from the documents with every citation linked to its passage.

With JavaScript, ``static/docproc/ask.js`` asks the REST API with ``"stream": true`` and shows
the answer as it is written. Without it, the form posts here and the answer is rendered whole:
the same service as the API (``answers.ask``), audited the same way (``audit.record_answer``).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from docproc.api.scopes import ExpensiveVerbThrottle
from docproc.models import Document, DocumentStatus
from docproc.pipeline.llm.client import LLMError
from docproc.services import answers, audit, error_codes
from docproc.services.dense_search import IndexUnavailableError
from docproc.web.document_views import linked_citation, passage_url
from docproc.web.lookups import matter_or_404

logger = logging.getLogger(__name__)

INDEX_UNAVAILABLE = "The search index is busy or unavailable at the moment; try again shortly."
THROTTLED = "You have asked many questions in a short time; try again in {seconds} s."


class _AskRate:
    """The API's ``ask`` rate: the form and the API share one budget per user."""

    throttle_scope = "ask"


def _seconds_to_wait(request) -> int | None:
    """None when the user may ask now, else how long until they may."""
    throttle = ExpensiveVerbThrottle()
    if throttle.allow_request(request, _AskRate):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def ask(request, matter_id: int):
    """``GET``: the question form. ``POST`` (the form without JavaScript): the answer."""
    matter = matter_or_404(request.user, matter_id)
    documents = list(
        Document.objects.visible_to(request.user)
        .filter(matter=matter, status=DocumentStatus.INDEXED)
        .order_by("filename", "pk")
    )
    context: dict[str, Any] = {
        "matter": matter,
        "documents": documents,
        "document_names": {document.pk: document.filename for document in documents},
        "question": "",
        "selected": set(),
        "answer": None,
        "error": "",
    }
    status = 200
    if request.method == "POST":
        question = request.POST.get("question", "")
        selected = _selected_documents(request, matter)
        context.update(question=question, selected=set(selected or ()))
        wait = _seconds_to_wait(request)
        if wait is not None:
            context["error"] = THROTTLED.format(seconds=wait)
            response = render(request, "web/ask.html", context, status=429)
            response["Retry-After"] = str(wait)
            return response
        try:
            answer = answers.ask(matter, question, document_ids=selected)
        except (answers.QuestionError, LLMError) as exc:
            failure = error_codes.describe(exc)  # the words and status the API answers with
            context["error"], status = failure.detail, failure.status
        except IndexUnavailableError as exc:
            logger.warning("index unavailable: %s", exc)
            context["error"], status = INDEX_UNAVAILABLE, 503
        else:
            audit.record_answer(request.user, matter, answer, documents=selected)
            context["answer"] = answer_view(answer.as_dict(), context["document_names"])
    return render(request, "web/ask.html", context, status=status)


def _selected_documents(request, matter) -> list[int] | None:
    """The documents the question is narrowed to (None: all). Any that is not a document of
    this matter the user can see makes the request a 404, as in the API (recorded as a denial
    when it lies outside the user's matters)."""
    raw = request.POST.getlist("documents")
    if not raw:
        return None
    try:
        ids = sorted({int(value) for value in raw})
    except ValueError as exc:
        raise BadRequest("Documents are given by their ids.") from exc
    visible = set(
        Document.objects.visible_to(request.user)
        .filter(matter=matter, pk__in=ids)
        .values_list("pk", flat=True)
    )
    if visible != set(ids):
        audit.hidden_documents_denied(request.user, set(ids) - visible)
        raise Http404("One or more documents were not found in this matter.")
    return ids


def answer_view(answer: dict, names: dict[int, str]) -> dict:
    """An answer (``Answer.as_dict()``) with linked citations and its context accounting
    shaped for the page, pages named by ``names`` (document id → filename) where the
    accounting gives no filename; ``ask.js`` renders the streamed answer the same way."""
    context = answer.get("context") or {}
    return {
        **answer,
        "citations": [linked_citation(c) for c in answer.get("citations", [])],
        "accounting": {
            "tokens_used": context.get("tokens_used", 0),
            "token_budget": context.get("token_budget", 0),
            "compression_ratio": context.get("compression_ratio", 0.0),
            "pages_used": [_page_link(p, names) for p in context.get("pages_used", [])],
            "pages_left_out": [_page_link(p, names) for p in context.get("pages_left_out", [])],
        },
    }


def _page_link(ref: dict, names: dict[int, str]) -> dict:
    return {
        **ref,
        "filename": ref.get("filename") or names.get(ref["document"], ""),
        "href": passage_url(ref["document"], ref["page"], None, None),
    }
