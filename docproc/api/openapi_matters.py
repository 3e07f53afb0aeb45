"""The OpenAPI description of the matter lifecycle API (``matter_views``, ``member_views``,
``hold_views``, ``screen_views``), attached like ``openapi.describe`` attaches the rest.

Some DELETEs read a JSON body (the reason for releasing a hold, lifting a screen or removing a
member); drf-spectacular describes bodies for PUT, PATCH and POST only, so those views get
``BodyOnDeleteSchema``.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from docproc.api import hold_views, matter_views, member_views, screen_views, serializers
from docproc.api import matter_serializers as bodies
from docproc.api.openapi import PAGE_PARAMETERS, _attach, errors, paginated


class BodyOnDeleteSchema(AutoSchema):
    """Describes the request body a DELETE declares (``request=``), as for a POST."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


MANAGERS = "Managers of the matter only: other members get 403, outsiders 404."
HOLDERS = (
    "Placed and released by the matter's managers only (a compliance officer who is not a "
    "member works through a manager): other members get 403, outsiders 404. While a hold is "
    "active, deleting or purging what it covers answers 409 `legal_hold`, saying who placed "
    "it, when and why."
)
COMPLIANCE = (
    "Superusers and compliance officers (permission `docproc.manage_screens`; a token must "
    "not be limited to matters). Anyone else gets 404, or 403 if they are a member of the "
    "matter."
)
_REASON = {"application/json": bodies.ReasonSerializer}


def describe() -> None:
    for view in (member_views.MatterMemberView, hold_views.MatterHoldView,
                 hold_views.DocumentHoldView, screen_views.ScreenDetailView):  # fmt: skip
        view.schema = BodyOnDeleteSchema()
    _describe_matters()
    _describe_members()
    _describe_holds()
    _describe_screens()


def _describe_matters() -> None:
    _attach(
        matter_views.MatterListView,
        get=dict(
            operation_id="matters_list",
            summary="Matters you are a member of, with your role",
            parameters=PAGE_PARAMETERS,
            responses={
                200: paginated("PaginatedMatterList", serializers.MatterSerializer),
                **errors(404),
            },
        ),
        post=dict(
            operation_id="matters_create",
            summary="Create a matter; you become its manager",
            description=(
                "Needs the `docproc.add_matter` permission (the Matter creators group) and, "
                "for a token, one not limited to matters. A reference (`slug`) already taken "
                "is 409 `matter_exists`."
            ),
            request={"application/json": bodies.MatterCreateSerializer},
            responses={201: serializers.MatterSerializer, **errors(400, 409, 415)},
        ),
    )
    _attach(
        matter_views.MatterDetailView,
        get=dict(
            operation_id="matters_retrieve",
            summary="One matter",
            responses={200: serializers.MatterSerializer, **errors(404)},
        ),
        patch=dict(
            operation_id="matters_update",
            summary="Edit a matter's name, description, references, practice area or retention",
            description=f"{MANAGERS} The reference (`slug`) cannot change (400).",
            request={"application/json": bodies.MatterUpdateSerializer},
            responses={200: serializers.MatterSerializer, **errors(400, 404, 415)},
        ),
        delete=dict(
            operation_id="matters_destroy",
            summary="Delete the matter, every document in it and its index; one receipt",
            description=(
                f"{MANAGERS} Refused with 409 `legal_hold` while a hold covers the matter or "
                "any document in it."
            ),
            responses={200: bodies.MatterDeletionReceiptSerializer, **errors(404, 409, 503)},
        ),
    )
    for view, verb, words in (
        (matter_views.MatterCloseView, "close", "Close the matter (read-only; questions allowed)"),
        (matter_views.MatterReopenView, "reopen", "Reopen a closed matter"),
    ):
        _attach(
            view,
            post=dict(
                operation_id=f"matters_{verb}",
                summary=words,
                description=f"{MANAGERS} Already {verb}d (or open) is 409 `conflict`.",
                request=_REASON,
                responses={200: serializers.MatterSerializer, **errors(400, 404, 409, 415)},
            ),
        )


def _describe_members() -> None:
    _attach(
        member_views.MatterMembersView,
        get=dict(
            operation_id="matters_members_list",
            summary="The matter's members: role, added by, added when, last access",
            description="Any member may read the list; outsiders get 404.",
            responses={
                200: bodies.MemberListSerializer,
                **errors(404),
            },
        ),
        post=dict(
            operation_id="matters_members_add",
            summary="Add an existing user (201), or set an existing member's role (200)",
            description=(
                f"{MANAGERS} A screened user is 409 `screened`; demoting the last manager is "
                "409 `last_manager`; a user without an active account is 400."
            ),
            request={"application/json": bodies.AddMemberSerializer},
            responses={
                200: OpenApiResponse(bodies.MemberSerializer, description="Role set."),
                201: OpenApiResponse(bodies.MemberSerializer, description="Added."),
                **errors(400, 404, 409, 415),
            },
        ),
    )
    _attach(
        member_views.MatterMemberView,
        patch=dict(
            operation_id="matters_members_update",
            summary="Change a member's role",
            description=f"{MANAGERS} Demoting the last manager is 409 `last_manager`.",
            request={"application/json": bodies.ChangeRoleSerializer},
            responses={200: bodies.MemberSerializer, **errors(400, 404, 409, 415)},
        ),
        delete=dict(
            operation_id="matters_members_remove",
            summary='Remove a member (body `{"reason"}` optional)',
            description=f"{MANAGERS} Removing the last manager is 409 `last_manager`.",
            request=_REASON,
            responses={
                204: OpenApiResponse(description="Removed."),
                **errors(400, 404, 409, 415),
            },
        ),
    )


def _describe_holds() -> None:
    for view, on in ((hold_views.MatterHoldView, "matters"),
                     (hold_views.DocumentHoldView, "documents")):  # fmt: skip
        what = on.removesuffix("s")
        _attach(
            view,
            post=dict(
                operation_id=f"{on}_hold_place",
                summary=f"Place a legal hold on the {what}",
                description=f"{HOLDERS} Already held is 409 `conflict`.",
                request={"application/json": bodies.RequiredReasonSerializer},
                responses={201: bodies.HoldSerializer, **errors(400, 404, 409, 415)},
            ),
            delete=dict(
                operation_id=f"{on}_hold_release",
                summary=f'Release the {what}\'s legal hold (body `{{"reason"}}` optional)',
                description=f"{HOLDERS} No active hold is 404.",
                request=_REASON,
                responses={200: bodies.HoldSerializer, **errors(400, 404, 409, 415)},
            ),
        )


def _describe_screens() -> None:
    _attach(
        screen_views.MatterScreensView,
        get=dict(
            operation_id="matters_screens_list",
            summary="The matter's ethical-wall screens, lifted ones included",
            description=COMPLIANCE,
            responses={200: bodies.ScreenListSerializer, **errors(404)},
        ),
        post=dict(
            operation_id="matters_screens_place",
            summary="Screen a user from the matter (removes their membership)",
            description=f"{COMPLIANCE} Already screened is 409 `conflict`.",
            request={"application/json": bodies.PlaceScreenSerializer},
            responses={201: bodies.ScreenSerializer, **errors(400, 404, 409, 415)},
        ),
    )
    _attach(
        screen_views.ScreenDetailView,
        delete=dict(
            operation_id="screens_lift",
            summary="Lift a screen (kept as history; membership is not restored)",
            description=f"{COMPLIANCE} Already lifted is 409 `conflict`.",
            request={"application/json": bodies.RequiredReasonSerializer},
            responses={200: bodies.ScreenSerializer, **errors(400, 404, 409, 415)},
        ),
    )
