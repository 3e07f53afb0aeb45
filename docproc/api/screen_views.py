"""Ethical-wall screens through the API, for compliance: ``GET``/``POST
matters/{id}/screens/`` lists a matter's screens and places one (``{"username", "reason"}``),
``DELETE screens/{id}/`` lifts one (``{"reason"}``).

Only superusers and holders of ``docproc.manage_screens`` (the "Compliance officers" group),
with the ``manage`` scope on a token not limited to matters (``screens.can_manage_screens``),
and they reach every matter, member or not. Anyone else is told the matter or screen does not
exist (404) unless they are a member of its matter (403); both refusals are audited.
"""

from __future__ import annotations

from typing import NoReturn

from rest_framework import exceptions, status
from rest_framework.response import Response

from docproc.api import matter_serializers as bodies
from docproc.api.permissions import matter_for
from docproc.api.views import ApiView
from docproc.models import Matter, Scope, Screen
from docproc.services import audit, screens

PERMISSION = "docproc.manage_screens"
NEEDS_COMPLIANCE = (
    f"Screens are managed by administrators and compliance officers (the {PERMISSION} permission)."
)


def _refuse_member(user, matter: Matter, target) -> NoReturn:
    audit.denied(
        user, reason=f"needs the {PERMISSION} permission", status=403, matter=matter, target=target
    )
    raise exceptions.PermissionDenied(NEEDS_COMPLIANCE)


def compliance_matter(user, matter_id: int) -> Matter:
    """The matter for a compliance officer (404 if there is none); for anyone else, 404 as for
    any outsider, or 403 for its members."""
    if screens.can_manage_screens(user):
        matter = Matter.objects.filter(pk=matter_id).first()
        if matter is None:
            raise exceptions.NotFound("Matter not found.")
        return matter
    matter = matter_for(user, matter_id)  # 404 (audited) outside the user's matters
    _refuse_member(user, matter, matter)


def compliance_screen(user, screen_id: int) -> Screen:
    """The screen for a compliance officer; anyone else gets 404 (audited when it exists)
    unless they are a member of its matter (403)."""
    screen = Screen.objects.select_related("matter", "user").filter(pk=screen_id).first()
    if screen is not None and screens.can_manage_screens(user):
        return screen
    if screen is None:
        raise exceptions.NotFound("Screen not found.")
    if Matter.objects.visible_to(user).filter(pk=screen.matter_id).exists():
        _refuse_member(user, screen.matter, screen)
    audit.denied(
        user, reason="outside the user's matters", status=404, matter=screen.matter, target=screen
    )
    raise exceptions.NotFound("Screen not found.")


class MatterScreensView(ApiView):
    """``GET``: the matter's screens, newest first, lifted ones included; ``POST``: screen a
    user (their membership, if any, is removed) (201)."""

    scopes = {"GET": Scope.MANAGE, "POST": Scope.MANAGE}

    def get(self, request, matter_id: int):
        matter = compliance_matter(request.user, matter_id)
        rows = Screen.objects.filter(matter=matter).select_related(
            "user", "created_by", "lifted_by"
        )
        return Response({"screens": bodies.ScreenSerializer(rows, many=True).data})

    def post(self, request, matter_id: int):
        matter = compliance_matter(request.user, matter_id)
        body = bodies.PlaceScreenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        screen = screens.screen_user(
            request.user, matter, body.validated_data["username"], body.validated_data["reason"]
        )
        return Response(bodies.ScreenSerializer(screen).data, status=status.HTTP_201_CREATED)


class ScreenDetailView(ApiView):
    """``DELETE screens/{id}/`` with ``{"reason"}``: lift the screen (kept as history; the
    user's membership is not restored)."""

    scopes = {"DELETE": Scope.MANAGE}

    def delete(self, request, screen_id: int):
        screen = compliance_screen(request.user, screen_id)
        body = bodies.RequiredReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lifted = screens.lift_screen(request.user, screen, body.validated_data["reason"])
        return Response(bodies.ScreenSerializer(lifted).data)
