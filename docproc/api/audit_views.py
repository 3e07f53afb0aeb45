"""``GET /api/v1/audit/``: the audit log for administrators (superusers, or users granted
``docproc.view_auditevent``), newest first, paginated, filtered like the console by ``user``,
``matter``, ``action``, ``from`` and ``to``. Anyone else gets 403, and the refusal is audited.

A token reading it needs the ``read`` scope and must not be limited to matters: the log spans
every matter.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions
from rest_framework import serializers as fields
from rest_framework.pagination import PageNumberPagination

from docproc.api.openapi import errors
from docproc.api.views import ApiView
from docproc.models import ApiToken, AuditEvent, Scope
from docproc.models.audit import RECORD_FIELDS, Action
from docproc.services import audit


class AuditEventSerializer(fields.ModelSerializer):
    actor = fields.CharField(source="actor_name")
    matter = fields.CharField(source="matter_slug")

    class Meta:
        model = AuditEvent
        fields = RECORD_FIELDS


class AuditPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


_TIME = "ISO 8601 date or date and time; without an offset, in the server's time zone."
_PARAMETERS = [
    OpenApiParameter("user", OpenApiTypes.STR, description="User name as recorded."),
    OpenApiParameter("matter", OpenApiTypes.STR, description="Matter slug."),
    OpenApiParameter("action", OpenApiTypes.STR, enum=Action.values, description="Action."),
    OpenApiParameter("from", OpenApiTypes.STR, description=f"Records at or after. {_TIME}"),
    OpenApiParameter("to", OpenApiTypes.STR, description=f"Records before. {_TIME}"),
    OpenApiParameter("page", OpenApiTypes.INT, description="1-based page number."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="Records per page (capped)."),
]


class AuditListView(ApiView):
    """``GET audit/``."""

    scopes = {"GET": Scope.READ}

    @extend_schema(
        operation_id="audit_list",
        summary="Audit records, newest first (administrators)",
        description=(
            "Superusers and users granted `docproc.view_auditevent`; a token must not be "
            "limited to matters (the log spans them all).\n\nToken scope: `read`."
        ),
        parameters=_PARAMETERS,
        responses={
            200: inline_serializer(
                name="PaginatedAuditEventList",
                fields={
                    "count": fields.IntegerField(),
                    "next": fields.URLField(allow_null=True),
                    "previous": fields.URLField(allow_null=True),
                    "results": AuditEventSerializer(many=True),
                },
            ),
            **errors(400),
        },
        extensions={"x-token-scope": str(Scope.READ)},
    )
    def get(self, request):
        if not audit.can_view(request.user):
            audit.denied(request.user, reason="not an administrator", status=403, path=request.path)
            raise exceptions.PermissionDenied("Only administrators may read the audit log.")
        if isinstance(request.auth, ApiToken) and request.auth.matter_ids is not None:
            reason = "token limited to matters"
            audit.denied(request.user, reason=reason, status=403, path=request.path)
            raise exceptions.PermissionDenied(
                "A token limited to matters cannot read the audit log, which spans them all."
            )
        try:
            filters = audit.AuditFilter.from_params(request.query_params)
        except audit.AuditFilterError as exc:
            raise exceptions.ValidationError(
                {name: [problem] for name, problem in exc.errors.items()}
            ) from exc
        paginator = AuditPagination()
        page = paginator.paginate_queryset(filters.events().order_by("-seq"), request, view=self)
        return paginator.get_paginated_response(AuditEventSerializer(page, many=True).data)
