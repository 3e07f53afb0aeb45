"""REST views for what the language model does: ``matters/{id}/ask/`` (optionally streamed as
JSON lines), ``documents/{id}/summary/`` and ``documents/{id}/extract/``.

Failures map to stable codes (``services.error_codes``, shared with the web pages and jobs):
a bad question or schema → 400 ``invalid``, a document that cannot be summarised → 409
``conflict``, the language model server down or slow → 503 ``llm_unavailable`` (retry
later; an answer does not fail then, it quotes the documents), a reply that is not what was
asked for → 502 ``llm_bad_response``, a request that cannot fit the model's context → 400
``context_overflow``.
"""

from __future__ import annotations

import json
import logging

from django.http import StreamingHttpResponse
from rest_framework import exceptions
from rest_framework.response import Response

from docproc.api import serializers
from docproc.api.errors import ConflictError, json_exception_handler, service_error
from docproc.api.job_views import job_accepted
from docproc.api.permissions import document_for, documents_in, matter_for
from docproc.api.views import ApiView
from docproc.models import Document, JobKind, Role, Scope
from docproc.pipeline.llm.client import LLMError
from docproc.services import answers, audit, error_codes, extraction, jobs, summaries

logger = logging.getLogger(__name__)


def _translate(exc: Exception) -> exceptions.APIException:
    """The API's answer to what a service raised (``api.errors.service_error``)."""
    return service_error(exc)


def _require_indexed(document: Document) -> None:
    if document.status != "indexed":
        raise ConflictError(f"The document is {document.status}; this needs it indexed.")


class AskView(ApiView):
    """``POST matters/{id}/ask/`` with ``{"question", "documents"?: [ids], "stream"?: bool}``."""

    scopes = {"POST": Scope.ASK}
    throttle_scope = "ask"

    def post(self, request, matter_id: int):
        matter = matter_for(request.user, matter_id)
        body = serializers.AskSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        question = body.validated_data["question"]
        documents = documents_in(request.user, matter, body.validated_data.get("documents"))
        if body.validated_data["stream"]:
            return self._stream(matter, question, documents)
        try:
            answer = answers.ask(matter, question, document_ids=documents)
        except (answers.QuestionError, LLMError) as exc:
            raise _translate(exc) from exc
        audit.record_answer(request.user, matter, answer, documents=documents)
        return Response(answer.as_dict())

    def _stream(self, matter, question, documents) -> StreamingHttpResponse:
        user, context = self.request.user, audit.current_context()

        def shown(answer: answers.Answer) -> None:
            # The body streams after the view (and the request's audit context) has returned.
            with audit.bound(context):
                audit.record_answer(user, matter, answer, documents=documents, streamed=True)

        def events():
            try:
                for event in answers.stream_ask(
                    matter, question, document_ids=documents, on_answer=shown
                ):
                    yield json.dumps(event, ensure_ascii=False) + "\n"
            except (answers.QuestionError, LLMError) as exc:
                body = error_codes.describe(exc).as_error()
                yield json.dumps({"type": "error", **body}) + "\n"
            except Exception as exc:  # the 200 has gone out: the error is the last event
                body = json_exception_handler(exc, {"view": self}).data
                yield json.dumps({"type": "error", **body}) + "\n"

        response = StreamingHttpResponse(events(), content_type="application/x-ndjson")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response


class SummaryView(ApiView):
    """``GET`` the summary (from the cache, made first if there is none yet) or ``POST`` to make
    it (``{"refresh": true}`` to ignore the cache; ``{"async": true}`` to run it as a job)."""

    scopes = {"GET": Scope.EXTRACT, "POST": Scope.EXTRACT}
    throttle_scope = "summary"

    def get(self, request, document_id: int):
        document = document_for(request.user, document_id)
        _require_indexed(document)
        return self._summarize(document, refresh=False)

    def post(self, request, document_id: int):
        document = document_for(request.user, document_id, Role.VIEWER)
        _require_indexed(document)
        body = serializers.SummaryRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data["async"]:
            params = {"refresh": body.validated_data["refresh"]}
            return job_accepted(jobs.submit(request.user, document, JobKind.SUMMARY, params))
        return self._summarize(document, refresh=body.validated_data["refresh"])

    def _summarize(self, document, refresh: bool) -> Response:
        try:
            result = summaries.summarize(document, refresh=refresh)
        except (summaries.SummaryError, LLMError) as exc:
            raise _translate(exc) from exc
        audit.record_summary(self.request.user, document, result)
        return Response(result)


class ExtractView(ApiView):
    """``POST documents/{id}/extract/`` with ``{"schema": "contract" | {JSON Schema}}``
    (``"async": true`` to run it as a job)."""

    scopes = {"POST": Scope.EXTRACT}
    throttle_scope = "extract"

    def post(self, request, document_id: int):
        document = document_for(request.user, document_id)
        _require_indexed(document)
        body = serializers.ExtractSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        schema = body.validated_data["schema"]
        if body.validated_data["async"]:
            try:
                extraction.resolve_schema(schema)  # a bad schema is a 400 now, not a failed job
            except extraction.SchemaError as exc:
                raise _translate(exc) from exc
            return job_accepted(
                jobs.submit(request.user, document, JobKind.EXTRACT, {"schema": schema})
            )
        try:
            result = extraction.extract(document, schema)
        except (extraction.SchemaError, LLMError) as exc:
            raise _translate(exc) from exc
        audit.record_extraction(request.user, document, result)
        return Response(result)
