"""The matter lifecycle under ``/api/v1/matters/``: list and create, read, edit, delete, close and
reopen. The services (``matters``, ``matter_deletion``) do the work and the auditing; these
views check who may knock and shape the answer.

Who may do what: any member reads a matter; its managers edit, close, reopen and delete it;
creating one needs the ``docproc.add_matter`` permission (an administrator grants it, usually
through the "Matter creators" group) and, for a token, the ``manage`` scope on a token not
limited to matters. Outsiders are told a matter does not exist (404); members below manager
get 403; both are audited, as is a deletion a legal hold refuses (409). Other state
refusals (a closed matter, the last manager) are answered, not recorded.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Subquery
from django.urls import reverse
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from docproc.api import matter_serializers as bodies
from docproc.api import serializers
from docproc.api.permissions import matter_for
from docproc.api.views import ApiView
from docproc.models import LegalHold, Matter, Membership, Role, Scope
from docproc.services import audit, matter_deletion, matters


class MatterPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


def matters_with_role(user):
    """The user's matters, each annotated with the user's ``role``, ``document_count`` and
    ``on_hold`` (an active legal hold on the matter itself)."""
    role = Membership.objects.filter(matter=OuterRef("pk"), user=user).values("role")[:1]
    held = LegalHold.objects.active().filter(matter=OuterRef("pk"))
    return (
        Matter.objects.visible_to(user)
        .select_related("practice_area")
        .annotate(
            role=Subquery(role),
            document_count=Count("documents", distinct=True),
            on_hold=Exists(held),
        )
    )


def matter_body(user, matter_id: int) -> dict:
    """The matter as ``GET matters/{id}/`` shows it to ``user``."""
    return serializers.MatterSerializer(matters_with_role(user).get(pk=matter_id)).data


def _with_practice_area(fields: dict) -> dict:
    """The body's fields with the practice area's slug resolved (an unknown one is a 400)."""
    if "practice_area" in fields:
        fields["practice_area"] = matters.practice_area(fields["practice_area"])
    return fields


def _refuse_creation(user) -> None:
    token = getattr(user, "api_token", None)
    if token is not None and token.limited_to_matters:
        why = "a token limited to matters"
        detail = (
            "A token limited to matters cannot create matters; use a token made without "
            "--matter (and with the manage scope)."
        )
    else:
        why = "needs the docproc.add_matter permission"
        detail = (
            "Creating matters needs the docproc.add_matter permission (the Matter creators "
            "group); ask an administrator."
        )
    audit.denied(user, reason=why, status=403, target=("matter", "new"))
    raise exceptions.PermissionDenied(detail)


class MatterListView(ApiView):
    """``GET matters/``: the matters the user is a member of, with their role (paginated).
    ``POST matters/``: create one; the creator becomes its manager (201)."""

    scopes = {"GET": Scope.READ, "POST": Scope.MANAGE}

    def get(self, request):
        found = matters_with_role(request.user).order_by("slug")
        paginator = MatterPagination()
        page: list[Matter] | None = paginator.paginate_queryset(found, request, view=self)
        return paginator.get_paginated_response(serializers.MatterSerializer(page, many=True).data)

    def post(self, request):
        if not matters.can_create_matters(request.user):
            _refuse_creation(request.user)
        body = bodies.MatterCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = _with_practice_area(dict(body.validated_data))
        matter = matters.create_matter(
            request.user, slug=fields.pop("slug"), name=fields.pop("name"), **fields
        )
        location = reverse("api:matter-detail", args=[matter.pk])
        return Response(
            matter_body(request.user, matter.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class MatterDetailView(ApiView):
    """``GET matters/{id}/`` (members); ``PATCH`` edits it and ``DELETE`` deletes it with every
    document (managers)."""

    scopes = {"GET": Scope.READ, "PATCH": Scope.MANAGE, "DELETE": Scope.MANAGE}

    def get(self, request, matter_id: int):
        matter = matters_with_role(request.user).filter(pk=matter_id).first()
        if matter is None:
            audit.hidden_object_denied(request.user, Matter, matter_id)
            raise exceptions.NotFound("Matter not found.")
        return Response(serializers.MatterSerializer(matter).data)

    def patch(self, request, matter_id: int):
        matter = matter_for(request.user, matter_id, Role.MANAGER)
        body = bodies.MatterUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        matters.update_matter(
            request.user, matter, **_with_practice_area(dict(body.validated_data))
        )
        return Response(matter_body(request.user, matter.pk))

    def delete(self, request, matter_id: int):
        """Refused (409 ``legal_hold``) while a hold covers the matter or any document in it."""
        matter = matter_for(request.user, matter_id, Role.MANAGER)
        receipt = matter_deletion.delete_matter(request.user, matter)
        return Response(bodies.MatterDeletionReceiptSerializer(receipt).data)


class MatterCloseView(ApiView):
    """``POST matters/{id}/close/``: read-only from now (managers); body ``{"reason"}``
    optional."""

    scopes = {"POST": Scope.MANAGE}

    def post(self, request, matter_id: int):
        matter = matter_for(request.user, matter_id, Role.MANAGER)
        body = bodies.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        matters.close_matter(request.user, matter, body.validated_data["reason"])
        return Response(matter_body(request.user, matter.pk))


class MatterReopenView(ApiView):
    """``POST matters/{id}/reopen/``: open again for uploads and deletions (managers)."""

    scopes = {"POST": Scope.MANAGE}

    def post(self, request, matter_id: int):
        matter = matter_for(request.user, matter_id, Role.MANAGER)
        body = bodies.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        matters.reopen_matter(request.user, matter, body.validated_data["reason"])
        return Response(matter_body(request.user, matter.pk))
