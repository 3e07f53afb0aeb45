"""A matter's members under ``/api/v1/matters/{id}/members/``: any member sees the list (role,
who added them and when, their last access); managers add existing users, change roles and
remove members. ``services.memberships`` refuses a screened user (409 ``screened``) and the
loss of the last manager (409 ``last_manager``) and audits every change with before and after.
"""

from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.response import Response

from docproc.api import matter_serializers as bodies
from docproc.api.permissions import matter_for
from docproc.api.views import ApiView
from docproc.models import Matter, Role, Scope
from docproc.services import memberships


def member_body(matter: Matter, username: str) -> dict:
    """One member's row of the list (404 if another request removed them meanwhile)."""
    row = next((m for m in memberships.members(matter) if m.username == username), None)
    if row is None:
        raise exceptions.NotFound(f"{username} is not a member of {matter.slug}.")
    return bodies.MemberSerializer(row).data


class MatterMembersView(ApiView):
    """``GET``: the members, managers first; ``POST {"username", "role"}``: add an existing
    user (201), or set the role of one who is already a member (200)."""

    scopes = {"GET": Scope.READ, "POST": Scope.MANAGE}

    def get(self, request, matter_id: int):
        matter = matter_for(request.user, matter_id)
        rows = memberships.members(matter)
        return Response({"members": bodies.MemberSerializer(rows, many=True).data})

    def post(self, request, matter_id: int):
        matter = matter_for(request.user, matter_id, Role.MANAGER)
        body = bodies.AddMemberSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership, created = memberships.add_member(
            matter,
            body.validated_data["username"],
            body.validated_data["role"],
            request.user,
            create_user=False,
        )
        username = membership.user.get_username()
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(member_body(matter, username), status=code)


class MatterMemberView(ApiView):
    """``PATCH {"role"}`` changes a member's role; ``DELETE`` (body ``{"reason"}`` optional)
    removes them (managers; 404 for a user who is not a member)."""

    scopes = {"PATCH": Scope.MANAGE, "DELETE": Scope.MANAGE}

    def patch(self, request, matter_id: int, username: str):
        matter = matter_for(request.user, matter_id, Role.MANAGER)
        body = bodies.ChangeRoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership = memberships.change_role(
            request.user, matter, username, body.validated_data["role"]
        )
        return Response(member_body(matter, membership.user.get_username()))

    def delete(self, request, matter_id: int, username: str):
        matter = matter_for(request.user, matter_id, Role.MANAGER)
        body = bodies.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        memberships.remove_member(request.user, matter, username, body.validated_data["reason"])
        return Response(status=status.HTTP_204_NO_CONTENT)
