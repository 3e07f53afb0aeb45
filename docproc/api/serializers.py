"""Representations of matters, documents, pages, chunks and receipts, and the request bodies the
API accepts. Serializers only shape and validate; they never change anything."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from docproc.models import Chunk, DeletionReceipt, Document, DocumentStatus, Job, Matter, Page
from docproc.services.dense_search import MAX_K


class MatterSerializer(serializers.ModelSerializer):
    """A matter with the requesting user's role in it, its document count and whether a legal
    hold is on it (annotated by the view as ``role``, ``document_count`` and ``on_hold``)."""

    role = serializers.CharField(read_only=True)
    documents = serializers.IntegerField(source="document_count", read_only=True)
    practice_area = serializers.CharField(
        source="practice_area.slug",
        default=None,
        allow_null=True,
        read_only=True,
        help_text="Its slug, or null.",
    )
    on_hold = serializers.BooleanField(read_only=True, help_text="A legal hold is on the matter.")

    class Meta:
        model = Matter
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "client_reference",
            "practice_area",
            "status",
            "closed_at",
            "retention_years",
            "on_hold",
            "role",
            "documents",
            "created_at",
        ]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer):
    """A document's metadata and processing state (never its text)."""

    size = serializers.IntegerField(source="size_bytes", read_only=True)
    pages = serializers.IntegerField(source="page_count", read_only=True, allow_null=True)
    chunks = serializers.IntegerField(source="chunk_count", read_only=True, allow_null=True)
    final = serializers.BooleanField(source="is_final", read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "matter",
            "filename",
            "file_type",
            "size",
            "sha256",
            "status",
            "reason",
            "final",
            "pages",
            "chunks",
            "created_at",
            "updated_at",
            "indexed_at",
        ]
        read_only_fields = fields


class PageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Page
        fields = ["document", "number", "text", "source"]
        read_only_fields = fields


class ChunkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Chunk
        fields = ["id", "ordinal", "page", "char_start", "char_end", "token_count", "text"]
        read_only_fields = fields


class DeletionReceiptSerializer(serializers.ModelSerializer):
    document = serializers.IntegerField(source="document_id", read_only=True)
    deleted_by = serializers.CharField(source="deleted_by.username", default=None, read_only=True)

    class Meta:
        model = DeletionReceipt
        fields = [
            "id",
            "matter",
            "document",
            "filename",
            "sha256",
            "pages_removed",
            "chunks_removed",
            "vectors_removed",
            "file_removed",
            "deleted_by",
            "deleted_at",
        ]
        read_only_fields = fields


class UploadSerializer(serializers.Serializer):
    """Multipart ``file`` field, repeated for several files. Empty files are accepted: the
    service keeps them as ``failed`` with a reason, like any other unusable upload."""

    file = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        allow_empty=False,
        error_messages={"empty": "No file was submitted."},
    )


class PasswordSerializer(serializers.Serializer):
    # Passwords are taken verbatim: leading/trailing spaces may be part of them.
    password = serializers.CharField(max_length=512, trim_whitespace=False)


class SearchSerializer(serializers.Serializer):
    query = serializers.CharField(max_length=2000)
    k = serializers.IntegerField(min_value=1, max_value=MAX_K, default=10)
    documents = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, allow_empty=False,
        max_length=500,
    )  # fmt: skip


class SearchHitSerializer(serializers.Serializer):
    document = serializers.IntegerField()
    filename = serializers.CharField()
    page = serializers.IntegerField()
    char_start = serializers.IntegerField()
    char_end = serializers.IntegerField()
    score = serializers.FloatField()
    text = serializers.CharField()
    chunk = serializers.IntegerField()


class AskSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=2000, trim_whitespace=True)
    documents = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, allow_empty=False,
        max_length=500,
    )  # fmt: skip
    stream = serializers.BooleanField(required=False, default=False)


class AsyncOptionMixin(serializers.Serializer):
    """Adds the body field ``async`` (a Python keyword, hence added here): true runs the
    operation as a job and answers 202 with the job's status URL."""

    def get_fields(self):
        fields = super().get_fields()
        fields["async"] = serializers.BooleanField(
            required=False,
            default=False,
            help_text="Run as a job: 202 with the job and its status URL (GET jobs/{id}/).",
        )
        return fields


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "description": "A built-in schema's name, e.g. contract."},
            {"type": "object", "description": "A JSON Schema object with properties."},
        ]
    }
)
class ExtractionSchemaField(serializers.JSONField):
    """A built-in schema's name or a JSON Schema (checked by the service)."""


class ExtractSerializer(AsyncOptionMixin, serializers.Serializer):
    schema = ExtractionSchemaField()

    def validate_schema(self, value):
        if not isinstance(value, str | dict):
            raise serializers.ValidationError(
                "Give a built-in schema name or a JSON Schema object."
            )
        return value


class SummaryRequestSerializer(AsyncOptionMixin, serializers.Serializer):
    refresh = serializers.BooleanField(required=False, default=False)


@extend_schema_field(OpenApiTypes.DATETIME)
class IsoDateTimeField(serializers.Field):
    """An ISO 8601 date-time (``2026-05-01T09:30:00Z``) or date (its midnight); a time without
    an offset is in ``TIME_ZONE``."""

    default_error_messages = {
        "invalid": "Give an ISO 8601 date or date-time, e.g. 2026-05-01 or 2026-05-01T09:30:00Z."
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
            if value is None:
                day = parse_date(data.strip())
                if day is None:
                    self.fail("invalid")
                value = datetime.combine(day, time.min)
            if timezone.is_naive(value):
                value = timezone.make_aware(value)
            # In UTC: the database refuses some offsets Python allows (e.g. -21:06).
            value = value.astimezone(UTC)
        except (ValueError, OverflowError):
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return value.isoformat()


class DocumentFilterSerializer(serializers.Serializer):
    """Query parameters of ``GET matters/{id}/documents/``."""

    status = serializers.ChoiceField(
        choices=DocumentStatus.choices, required=False, help_text="Only documents in this state."
    )
    created_after = IsoDateTimeField(
        required=False, help_text="Only documents uploaded at or after this time (ISO 8601)."
    )
    created_before = IsoDateTimeField(
        required=False, help_text="Only documents uploaded before this time (ISO 8601)."
    )


class JobSerializer(serializers.ModelSerializer):
    """A summary or extraction run as a job; ``result`` is what the synchronous endpoint
    returns, ``error`` an error body ``{"code", "detail"}``."""

    url = serializers.SerializerMethodField(help_text="Where to poll this job.")

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "document",
            "status",
            "result",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "url",
        ]
        read_only_fields = fields

    def get_url(self, job) -> str:
        return reverse("api:job-detail", args=[job.pk])
