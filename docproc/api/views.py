"""REST views under ``/api/v1/``: authenticate, fetch the object through ``visible_to``, validate
the body, call one service, shape the answer. No business logic lives here.

Errors are raised as DRF exceptions and rendered by ``docproc.api.errors``; service errors are
translated where they are caught, next to the call that raises them.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import FileResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from docproc.api import serializers
from docproc.api.errors import ConflictError, PayloadTooLargeError
from docproc.api.permissions import document_for, documents_in, matter_for
from docproc.api.scopes import TokenHasScope
from docproc.models import DocumentStatus, Page, Role, Scope
from docproc.pipeline.ingest import file_types
from docproc.services import audit, ingestion, retrieval, storage
from docproc.services import dense_search as search_service
from docproc.services import documents as document_service

logger = logging.getLogger(__name__)


class ApiView(APIView):
    """Base of every API view: JSON only, and 401 (not 403) for missing credentials.

    DRF answers 403 when the first authenticator offers no ``WWW-Authenticate`` challenge; we
    offer the first challenge any configured authenticator has (Bearer), so clients get a
    proper 401. Each view declares ``scopes``, the token scope each method needs
    (``docproc.api.scopes``).
    """

    renderer_classes = [JSONRenderer]
    permission_classes = [IsAuthenticated, TokenHasScope]
    scopes: dict[str, str] = {}

    # DRF's own returns None too when no authenticator has a challenge; its stubs say ``str``.
    def get_authenticate_header(self, request: Request) -> str | None:  # type: ignore[override]
        for authenticator in self.get_authenticators():
            header = authenticator.authenticate_header(request)
            if header:
                return header
        return None


class DocumentPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class ChunkPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class MatterDocumentsView(ApiView):
    """``GET matters/{id}/documents/`` lists documents (paginated, newest first);
    ``POST`` uploads one or several files (multipart field ``file``, repeated).
    The list filters by ``status``, ``created_after`` (inclusive) and ``created_before``."""

    scopes = {"GET": Scope.READ, "POST": Scope.WRITE}

    def get(self, request, matter_id: int):
        matter = matter_for(request.user, matter_id)
        filters = serializers.DocumentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        documents = matter.documents.all()
        if "status" in filters.validated_data:
            documents = documents.filter(status=filters.validated_data["status"])
        if "created_after" in filters.validated_data:
            documents = documents.filter(created_at__gte=filters.validated_data["created_after"])
        if "created_before" in filters.validated_data:
            documents = documents.filter(created_at__lt=filters.validated_data["created_before"])
        paginator = DocumentPagination()
        page = paginator.paginate_queryset(documents, request, view=self)
        return paginator.get_paginated_response(
            serializers.DocumentSerializer(page, many=True).data
        )

    def post(self, request, matter_id: int):
        """One file: the document, 201 if new or 200 if the same bytes were already in the
        matter. Several files: ``{"documents": [...]}``, 201 if any was new. Every document
        carries ``created``."""
        matter = matter_for(request.user, matter_id, Role.EDITOR)
        body = serializers.UploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        files = body.validated_data["file"]
        # Refuse before storing anything, so a batch is not half-accepted; the service enforces
        # the same limit again while streaming.
        limit = settings.MAX_UPLOAD_BYTES
        for upload in files:
            if upload.size is not None and upload.size > limit:
                raise PayloadTooLargeError(
                    f"{upload.name} is larger than the limit of {limit:,} bytes."
                )
        results = []
        for upload in files:
            try:
                submission = ingestion.submit(matter, upload.name, upload.chunks(), request.user)
            except storage.UploadTooLargeError as exc:
                raise PayloadTooLargeError(f"{upload.name}: {exc}") from exc
            results.append(
                {
                    **serializers.DocumentSerializer(submission.document).data,
                    "created": submission.created,
                }
            )
        any_created = any(result["created"] for result in results)
        code = status.HTTP_201_CREATED if any_created else status.HTTP_200_OK
        if len(results) == 1:
            location = reverse("api:document-detail", args=[results[0]["id"]])
            headers = {"Location": location}
            return Response(results[0], status=code, headers=headers)
        return Response({"documents": results}, status=code)


class DocumentDetailView(ApiView):
    """``GET documents/{id}/``; ``DELETE`` removes it and everything derived (editor+).

    Reading the status is recorded once per user and document per
    ``DOCPROC_AUDIT_STATUS_VIEW_WINDOW_S`` (a client polling until a document is indexed would
    otherwise write a record per poll); reads of content (pages, original, summary) are
    recorded every time."""

    scopes = {"GET": Scope.READ, "DELETE": Scope.WRITE}

    def get(self, request, document_id: int):
        document = document_for(request.user, document_id)
        if audit.flood.first_view_in_window(request.user.pk, document.pk):
            audit.record(
                request.user,
                audit.Action.VIEW_DOCUMENT,
                target=document,
                details={"part": "status"},
            )
        return Response(serializers.DocumentSerializer(document).data)

    def delete(self, request, document_id: int):
        document = document_for(request.user, document_id, Role.EDITOR)
        receipt = document_service.delete_document(document, request.user)
        return Response(serializers.DeletionReceiptSerializer(receipt).data)


class DocumentPageView(ApiView):
    """``GET documents/{id}/pages/{n}/``: one page's text (1-based) and how it was obtained."""

    scopes = {"GET": Scope.READ}

    def get(self, request, document_id: int, number: int):
        document = document_for(request.user, document_id)
        page = Page.objects.filter(document=document, number=number).first()
        if page is None:
            raise exceptions.NotFound(f"Page {number} not found.")
        audit.record(
            request.user, audit.Action.VIEW_PAGE, target=document, details={"page": number}
        )
        return Response(
            {**serializers.PageSerializer(page).data, "page_count": document.page_count}
        )


class DocumentChunksView(ApiView):
    """``GET documents/{id}/chunks/``: passages in reading order, paginated."""

    scopes = {"GET": Scope.READ}

    def get(self, request, document_id: int):
        document = document_for(request.user, document_id)
        chunks = document.chunks.order_by("ordinal").defer("embedding")
        paginator = ChunkPagination()
        page = paginator.paginate_queryset(chunks, request, view=self)
        assert page is not None  # None only for a paginator without a page size
        audit.record(
            request.user,
            audit.Action.VIEW_DOCUMENT,
            target=document,
            details={"part": "chunks", "chunk_ids": [chunk.pk for chunk in page]},
        )
        return paginator.get_paginated_response(serializers.ChunkSerializer(page, many=True).data)


class DocumentOriginalView(ApiView):
    """``GET documents/{id}/original/``: the stored bytes, as an attachment under the uploaded
    file name."""

    scopes = {"GET": Scope.READ}

    def perform_content_negotiation(self, request, force=False):
        # The answer is a file, not JSON: an ``Accept: application/pdf`` must not be a 406.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request, document_id: int):
        document = document_for(request.user, document_id)
        try:
            handle = storage.blob_path(document.sha256).open("rb")
        except FileNotFoundError as exc:
            logger.error("original of document %s (%s) is missing", document.pk, document.sha256)
            raise exceptions.NotFound("The stored original is missing.") from exc
        audit.record(
            request.user,
            audit.Action.DOWNLOAD,
            target=document,
            details={"filename": document.filename, "sha256": document.sha256},
        )
        return FileResponse(
            handle,
            as_attachment=True,
            filename=document.filename,
            # The type was sniffed from the bytes at upload.
            content_type=file_types.content_type(document.file_type),
        )


class DocumentPasswordView(ApiView):
    """``POST documents/{id}/password/`` with ``{"password": ...}``: only for a document whose
    status is ``needs_password`` (409 otherwise); queues it again (editor+)."""

    scopes = {"POST": Scope.WRITE}

    def post(self, request, document_id: int):
        document = document_for(request.user, document_id, Role.EDITOR)
        body = serializers.PasswordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if document.status != DocumentStatus.NEEDS_PASSWORD:
            raise ConflictError(
                f"This document does not need a password (its status is {document.status})."
            )
        ingestion.supply_password(document, body.validated_data["password"], request.user)
        document.refresh_from_db()
        return Response(serializers.DocumentSerializer(document).data, status=202)


class DocumentReprocessView(ApiView):
    """``POST documents/{id}/reprocess/``: queue a finished (e.g. failed) document again
    (editor+); 409 while it is still being processed."""

    scopes = {"POST": Scope.WRITE}

    def post(self, request, document_id: int):
        document = document_for(request.user, document_id, Role.EDITOR)
        if not document.is_final:
            raise ConflictError(
                f"This document is still being processed (its status is {document.status})."
            )
        ingestion.reprocess(document, request.user)
        document.refresh_from_db()
        return Response(serializers.DocumentSerializer(document).data, status=202)


class MatterSearchView(ApiView):
    """``POST matters/{id}/search/`` with ``{"query": str, "k": 1..100, "documents"?: [ids]}``:
    passages of the matter's indexed documents (optionally only those documents), best first,
    by hybrid retrieval (meaning and exact terms, fused by rank; ``score`` is the fused score,
    comparable only within one response)."""

    scopes = {"POST": Scope.ASK}

    def post(self, request, matter_id: int):
        matter = matter_for(request.user, matter_id)
        body = serializers.SearchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        query, k = body.validated_data["query"], body.validated_data["k"]
        documents = documents_in(request.user, matter, body.validated_data.get("documents"))
        try:
            hits = retrieval.hybrid_search(matter, query, k, document_ids=documents)
        except search_service.SearchError as exc:
            raise exceptions.ValidationError(str(exc)) from exc
        audit.record_search(request.user, matter, query, k, hits)
        data = serializers.SearchHitSerializer([hit.as_hit() for hit in hits], many=True).data
        return Response({"results": data})


# --- health ----------------------------------------------------------------------------------


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception as exc:  # any failure means "not healthy", never a 500
        logger.warning("health check: database unavailable: %s", exc)
        return False


def _redis_ok() -> bool:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError) as exc:
        logger.warning("health check: redis unavailable: %s", exc)
        return False
    finally:
        client.close()


@never_cache
@require_safe
def healthz(request) -> JsonResponse:
    """``/healthz`` (no authentication): 200 when the database and Redis answer, else 503.
    Says only whether each dependency is up, never why (the reason is logged)."""
    database, broker = _database_ok(), _redis_ok()
    healthy = database and broker
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "database": database, "redis": broker},
        status=200 if healthy else 503,
    )
