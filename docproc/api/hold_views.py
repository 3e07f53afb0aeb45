"""Legal holds through the API: ``POST .../hold/`` with ``{"reason"}`` places one on a matter
or a document, ``DELETE`` on the same URL releases it (``{"reason"}`` optional).

Placed and released by the matter's managers (who answer for its records); a compliance
officer who is not a member is told the matter does not exist, like any outsider, and works
through a manager or the compliance pages. ``services.holds`` audits each change; while a hold
is active every deletion and purge of what it covers answers 409 ``legal_hold``.
"""

from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.response import Response

from docproc.api import matter_serializers as bodies
from docproc.api.permissions import document_for, matter_for
from docproc.api.views import ApiView
from docproc.models import Document, LegalHold, Matter, Role, Scope
from docproc.services import holds


def _place(request, *, matter: Matter | None = None, document: Document | None = None):
    body = bodies.RequiredReasonSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    hold = holds.place_hold(
        request.user, reason=body.validated_data["reason"], matter=matter, document=document
    )
    return Response(bodies.HoldSerializer(hold).data, status=status.HTTP_201_CREATED)


def _release(request, hold: LegalHold | None, subject: str):
    body = bodies.ReasonSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    if hold is None:
        raise exceptions.NotFound(f"The {subject} is not under a legal hold.")
    released = holds.release_hold(request.user, hold, body.validated_data["reason"])
    return Response(bodies.HoldSerializer(released).data)


class MatterHoldView(ApiView):
    """``POST``/``DELETE matters/{id}/hold/``: a hold on the whole matter (managers)."""

    scopes = {"POST": Scope.MANAGE, "DELETE": Scope.MANAGE}

    def post(self, request, matter_id: int):
        return _place(request, matter=matter_for(request.user, matter_id, Role.MANAGER))

    def delete(self, request, matter_id: int):
        matter = matter_for(request.user, matter_id, Role.MANAGER)
        return _release(request, holds.active_hold(matter=matter), f"matter {matter.slug}")


class DocumentHoldView(ApiView):
    """``POST``/``DELETE documents/{id}/hold/``: a hold on one document (its matter's
    managers)."""

    scopes = {"POST": Scope.MANAGE, "DELETE": Scope.MANAGE}

    def post(self, request, document_id: int):
        return _place(request, document=document_for(request.user, document_id, Role.MANAGER))

    def delete(self, request, document_id: int):
        document = document_for(request.user, document_id, Role.MANAGER)
        hold = holds.active_hold(document=document)
        return _release(request, hold, f"document {document.filename}")
