"""The OpenAPI 3 description of ``/api/v1/`` (drf-spectacular), served at ``/api/schema/``.

The views are plain ``APIView``s that validate with serializers they build themselves, so the
request and response bodies are declared here, per operation, and attached with
``extend_schema_view`` when the URL map is loaded. Every error body is ``Error``
(``{"code", "detail"}``); each operation lists the statuses it can answer.
``tests/api/test_schema.py`` checks that every route is described and the schema is valid.
"""

from __future__ import annotations

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework import serializers as fields

from docproc.api import job_views, llm_views, serializers, views
from docproc.pipeline.ingest.file_types import FILE_TYPES, UNKNOWN_CONTENT_TYPE


class SchemaView(SpectacularAPIView):
    """``/api/schema/``: JSON by default (``?format=yaml`` or ``Accept: application/yaml`` for
    YAML), and JSON errors like the rest of the API. Needs a signed-in user or any token."""

    renderer_classes = [
        OpenApiJsonRenderer2,
        OpenApiJsonRenderer,
        OpenApiYamlRenderer,
        OpenApiYamlRenderer2,
    ]


def docs_page(viewer: type[SpectacularSwaggerSplitView] | type[SpectacularRedocView]):
    """The interactive docs page (its scripts and styles are the sidecar's static files, served
    by us, the Swagger UI's start-up script from its own URL: no inline script); a visitor who
    is not signed in is sent to the login page. The viewers set styles from their scripts, which
    the policy allows on these two pages alone."""
    view = csp_update({"style-src": ["'unsafe-inline'"]})(viewer.as_view(url_name="api-schema"))
    return login_required(view)


class ErrorSerializer(fields.Serializer):
    """Every error: a stable ``code`` to branch on and a human ``detail``."""

    code = fields.CharField(help_text="Stable snake_case code, e.g. not_found, invalid.")
    detail = fields.CharField(help_text="A sentence for people; may change between releases.")
    # A field named like Serializer.errors: the stubs read it as overriding that property, but
    # DRF's metaclass moves declared fields off the class, so the property stays.
    errors = fields.DictField(  # type: ignore[assignment]
        child=fields.ListField(child=fields.CharField()),
        required=False,
        help_text="Validation errors only: messages per field.",
    )
    wait_seconds = fields.IntegerField(
        required=False, help_text="Throttled only: seconds until a request is allowed again."
    )

    class Meta:
        ref_name = "Error"


_ERROR_MEANINGS = {
    400: "Invalid request (`invalid`, `parse_error`, `context_overflow`).",
    401: "No or bad credentials (`not_authenticated`, `authentication_failed`).",
    403: "Role too low (`permission_denied`) or token scope missing (`insufficient_scope`).",
    404: "Not found, or not visible to you (`not_found`).",
    409: (
        "The object's state does not allow this (`conflict`; for matters: `matter_exists`, "
        "`matter_closed`, `legal_hold`, `screened`, `last_manager`)."
    ),
    413: "Upload larger than the limit (`payload_too_large`).",
    415: "Body media type not accepted (`unsupported_media_type`).",
    429: "Rate limit reached (`throttled`); see `Retry-After`.",
    502: "The language model answered with something unusable (`llm_bad_response`).",
    503: "A dependency is briefly unavailable (`temporarily_unavailable`, `llm_unavailable`).",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses for ``statuses``, plus 401 and 403, which every operation can answer."""
    wanted = sorted({401, 403, *statuses})
    return {
        status: OpenApiResponse(response=ErrorSerializer, description=_ERROR_MEANINGS[status])
        for status in wanted
    }


PAGE_PARAMETERS = [
    OpenApiParameter(
        "page", OpenApiTypes.INT, description="1-based page number (404 past the end)."
    ),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Items per page (capped)."),
]


def paginated(name: str, item) -> fields.Serializer:
    return inline_serializer(
        name=name,
        fields={
            "count": fields.IntegerField(),
            "next": fields.URLField(allow_null=True),
            "previous": fields.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


class UploadedDocumentSerializer(serializers.DocumentSerializer):
    created = fields.BooleanField(help_text="False when the same bytes were already in the matter.")

    class Meta(serializers.DocumentSerializer.Meta):
        fields = [*serializers.DocumentSerializer.Meta.fields, "created"]
        read_only_fields = fields


class PageTextSerializer(serializers.PageSerializer):
    page_count = fields.IntegerField(allow_null=True)

    class Meta(serializers.PageSerializer.Meta):
        fields = [*serializers.PageSerializer.Meta.fields, "page_count"]
        read_only_fields = fields


_USAGE_HELP = (
    "What the model calls for it spent: prompt_tokens, completion_tokens, latency_s (all 0 "
    "when no model was called, e.g. a cached summary)."
)
_ROUTING_HELP = (
    "Which model produced it and why: model, endpoint (small, large or null), reason, "
    "escalated, attempts (endpoint, model, outcome, detail), explanation (words)."
)

# What the LLM endpoints return, described at the top level (the inner objects are documented
# in the README: citations, context accounting, extracted fields).
AnswerSerializer = inline_serializer(
    name="Answer",
    fields={
        "question": fields.CharField(),
        "answer": fields.CharField(help_text="The answer, with [n] citation markers."),
        "found": fields.BooleanField(),
        "statements": fields.ListField(
            child=fields.CharField(),
            help_text="The text's statements in order; each citation's `statement` indexes this.",
        ),
        "citations": fields.ListField(child=fields.DictField()),
        "context": fields.DictField(help_text="tokens_used, token_budget, pages_used, ..."),
        "warnings": fields.ListField(child=fields.CharField()),
        "model": fields.CharField(allow_null=True),
        "usage": fields.DictField(help_text=_USAGE_HELP),
        "method": fields.CharField(help_text="generated, extractive or none"),
        "model_answer": fields.CharField(allow_null=True),
        "routing": fields.DictField(help_text=_ROUTING_HELP),
    },
)
SummaryResultSerializer = inline_serializer(
    name="SummaryResult",
    fields={
        "summary": fields.CharField(),
        "statements": fields.ListField(
            child=fields.CharField(),
            help_text="The text's statements in order; each citation's `statement` indexes this.",
        ),
        "citations": fields.ListField(child=fields.DictField()),
        "coverage": fields.DictField(help_text="pages_covered, pages_total"),
        "warnings": fields.ListField(child=fields.CharField()),
        "model": fields.CharField(allow_null=True),
        "usage": fields.DictField(help_text=_USAGE_HELP),
        "routing": fields.DictField(help_text=_ROUTING_HELP),
        "cached": fields.BooleanField(),
    },
)
ExtractionResultSerializer = inline_serializer(
    name="ExtractionResult",
    fields={
        "document": fields.IntegerField(),
        "fields": fields.DictField(
            help_text="Per field: value, page, quote, char_start, char_end, verified, reason."
        ),
        "warnings": fields.ListField(child=fields.CharField()),
        "model": fields.CharField(),
        "usage": fields.DictField(help_text=_USAGE_HELP),
        "routing": fields.DictField(help_text=_ROUTING_HELP),
    },
)
SearchResultsSerializer = inline_serializer(
    name="SearchResults", fields={"results": serializers.SearchHitSerializer(many=True)}
)
UploadBatchSerializer = inline_serializer(
    name="UploadBatch", fields={"documents": UploadedDocumentSerializer(many=True)}
)

UploadResultSerializer = PolymorphicProxySerializer(
    component_name="UploadResult",
    serializers=[UploadedDocumentSerializer, UploadBatchSerializer],
    resource_type_field_name=None,
)

_STREAM_DESCRIPTION = (
    'With `"stream": true`: `application/x-ndjson`, one JSON object a line: '
    '`{"type": "delta", "text"}` as the answer is generated (a `{"type": "routing", '
    '"endpoint", "model", "reason", "text"}` line when another model takes over: what was '
    'streamed before it is set aside), then `{"type": "answer", ...}` '
    '(the same fields as the JSON answer), or `{"type": "error", "code", "detail"}`.'
)


def _attach(view, **operations: dict) -> None:
    """``extend_schema_view`` on ``view``, each method with its ``extend_schema`` arguments."""
    extend_schema_view(**{m: extend_schema(**kwargs) for m, kwargs in operations.items()})(view)


def document_scopes_and_auth(result: dict, generator, **kwargs) -> dict:
    """Postprocessing hook: every operation names the token scope its view declares (in its
    description and as ``x-token-scope``) and documents 401 and 403 as ``Error`` bodies, so a
    view added later is described the same way without repeating it."""
    for path, _regex, method, callback in generator.endpoints:
        operation = result["paths"].get(path, {}).get(method.lower())
        view = getattr(callback, "cls", None)
        if operation is None or view is None or not hasattr(view, "scopes"):
            continue
        scope = view.scopes.get(method.upper())
        if scope:
            operation.setdefault("x-token-scope", str(scope))
            note = f"Token scope: `{scope}`"
            if note not in operation.get("description", ""):
                operation["description"] = f"{operation.get('description', '')}\n\n{note}.".strip()
        for status in (401, 403):
            operation["responses"].setdefault(
                str(status),
                {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                    "description": _ERROR_MEANINGS[status],
                },
            )
    return result


def describe() -> None:
    """Attach the operations' descriptions to the views (once, when the URL map loads)."""
    _attach(
        views.MatterDocumentsView,
        get=dict(
            operation_id="matters_documents_list",
            summary="The matter's documents, newest first",
            parameters=[serializers.DocumentFilterSerializer, *PAGE_PARAMETERS],
            responses={
                200: paginated("PaginatedDocumentList", serializers.DocumentSerializer),
                **errors(400, 404),
            },
        ),
        post=dict(
            operation_id="matters_documents_upload",
            summary="Upload one or several files (editor or manager)",
            description=(
                "Multipart field `file`, repeated for several files. One file: the document "
                "(201 if new, 200 if the same bytes were already there). Several: "
                '`{"documents": [...]}`, 201 if any was new.'
            ),
            request={"multipart/form-data": serializers.UploadSerializer},
            responses={
                200: OpenApiResponse(UploadResultSerializer, description="Nothing new stored."),
                201: OpenApiResponse(UploadResultSerializer, description="Stored and queued."),
                **errors(400, 404, 413, 415, 503),
            },
        ),
    )
    _attach(
        views.MatterSearchView,
        post=dict(
            operation_id="matters_search",
            summary="Passages of the matter's indexed documents, best first",
            request={"application/json": serializers.SearchSerializer},
            responses={200: SearchResultsSerializer, **errors(400, 404, 415, 503)},
        ),
    )
    _attach(
        llm_views.AskView,
        post=dict(
            operation_id="matters_ask",
            summary="A cited answer from the matter's documents (optionally streamed)",
            description=_STREAM_DESCRIPTION,
            request={"application/json": serializers.AskSerializer},
            responses={
                (200, "application/json"): AnswerSerializer,
                (200, "application/x-ndjson"): OpenApiResponse(
                    response=OpenApiTypes.STR, description=_STREAM_DESCRIPTION
                ),
                **errors(400, 404, 415, 429, 502, 503),
            },
        ),
    )
    _attach(
        views.DocumentDetailView,
        get=dict(
            operation_id="documents_retrieve",
            summary="A document's state and metadata",
            responses={200: serializers.DocumentSerializer, **errors(404)},
        ),
        delete=dict(
            operation_id="documents_destroy",
            summary="Delete a document and everything derived from it (editor or manager)",
            description=(
                "Answers the receipt. Refused with 409 `legal_hold` while a legal hold covers "
                "the document or its matter, and 409 `matter_closed` in a closed matter."
            ),
            responses={200: serializers.DeletionReceiptSerializer, **errors(404, 409, 503)},
        ),
    )
    _attach(
        views.DocumentPageView,
        get=dict(
            operation_id="documents_page",
            summary="The text of one page (1-based)",
            responses={200: PageTextSerializer, **errors(404)},
        ),
    )
    _attach(
        views.DocumentChunksView,
        get=dict(
            operation_id="documents_chunks_list",
            summary="The document's passages in reading order",
            parameters=PAGE_PARAMETERS,
            responses={
                200: paginated("PaginatedChunkList", serializers.ChunkSerializer),
                **errors(404),
            },
        ),
    )
    _attach(
        views.DocumentOriginalView,
        get=dict(
            operation_id="documents_original",
            summary="The original file, byte for byte (as an attachment)",
            responses={
                **{
                    (200, media_type): OpenApiResponse(
                        response=OpenApiTypes.BINARY,
                        description="The stored bytes, served with the document's media type.",
                    )
                    for media_type in [
                        *(file_type.content_type for file_type in FILE_TYPES.values()),
                        UNKNOWN_CONTENT_TYPE,
                    ]
                },
                **errors(404),
            },
        ),
    )
    _attach(
        views.DocumentPasswordView,
        post=dict(
            operation_id="documents_password",
            summary="The password of an encrypted PDF; queues it again (editor or manager)",
            request={"application/json": serializers.PasswordSerializer},
            responses={202: serializers.DocumentSerializer, **errors(400, 404, 409, 415)},
        ),
    )
    _attach(
        views.DocumentReprocessView,
        post=dict(
            operation_id="documents_reprocess",
            summary="Run the pipeline again on a finished document (editor or manager)",
            request=None,
            responses={202: serializers.DocumentSerializer, **errors(404, 409)},
        ),
    )
    _attach(
        llm_views.SummaryView,
        get=dict(
            operation_id="documents_summary_retrieve",
            summary="The cited summary (made on first request, then cached)",
            responses={200: SummaryResultSerializer, **errors(404, 409, 429, 502, 503)},
        ),
        post=dict(
            operation_id="documents_summary_create",
            summary="Make the summary (refresh: ignore the cache; async: as a job)",
            request={"application/json": serializers.SummaryRequestSerializer},
            responses={
                200: SummaryResultSerializer,
                202: OpenApiResponse(serializers.JobSerializer, description="Queued as a job."),
                **errors(400, 404, 409, 415, 429, 502, 503),
            },
        ),
    )
    _attach(
        llm_views.ExtractView,
        post=dict(
            operation_id="documents_extract",
            summary="Fields of a built-in or given JSON Schema, each with page, quote, verified",
            request={"application/json": serializers.ExtractSerializer},
            examples=[
                OpenApiExample("built-in schema", value={"schema": "contract"}, request_only=True),
                OpenApiExample(
                    "as a job", value={"schema": "contract", "async": True}, request_only=True
                ),
            ],
            responses={
                200: ExtractionResultSerializer,
                202: OpenApiResponse(serializers.JobSerializer, description="Queued as a job."),
                **errors(400, 404, 409, 415, 429, 502, 503),
            },
        ),
    )
    _attach(
        job_views.JobDetailView,
        get=dict(
            operation_id="jobs_retrieve",
            summary="A job's state; its result once succeeded, its error once failed",
            responses={200: serializers.JobSerializer, **errors(404)},
        ),
    )
