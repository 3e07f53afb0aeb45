"""Who may see a matter: members added, their role changed, removed, and listed with who added
them and when they last used the matter. Every change is audited with the role before and
after. A matter keeps at least one manager; a screened user cannot be added."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery

if TYPE_CHECKING:
    from django.contrib.auth.models import User

from docproc.models import AuditEvent, Matter, Membership, Role, Screen
from docproc.models.audit import Action
from docproc.services import audit
from docproc.services.matters import MatterConflictError, MatterError, MatterGoneError


class ScreenedUserError(MatterConflictError):
    code = "screened"


class LastManagerError(MatterConflictError):
    code = "last_manager"


class MemberNotFoundError(MatterGoneError):
    """The user named is not a member (404 at the front doors)."""


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise MatterError(
            f"role must be one of {', '.join(Role.values)}, not {role!r}", field="role"
        )


def _user(username: str, *, create: bool) -> tuple[User, bool]:
    user_model = get_user_model()
    if create:
        user, created = user_model.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user, created
    found = user_model.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise MatterError(
            f"There is no active user {username!r}. They must have an account (or have signed "
            "in once through the directory) before they can be added.",
            field="username",
        )
    return found, False


def add_member(
    matter: Matter,
    username: str,
    role: str,
    actor: audit.Actor = None,
    *,
    create_user: bool = True,
) -> tuple[Membership, bool]:
    """Give ``username`` a role in the matter. ``create_user``: make the account (with no
    usable password) if missing (the ``add_member`` command); the UI and API only add existing
    users. Re-running with another role changes the role. A screened user is refused."""
    _check_role(role)
    with transaction.atomic():
        user, user_created = _user(username, create=create_user)
        Matter.objects.select_for_update().filter(pk=matter.pk).first()
        screen = Screen.objects.filter(matter=matter, user=user, lifted_at__isnull=True).first()
        if screen is None:
            membership, created = _grant(actor, matter, user, role, user_created)
    if screen is not None:
        # Recorded after the block, so that refusing (which adds nothing) still leaves the record.
        audit.denied(
            actor,
            reason="the user is screened from this matter",
            status=409,
            matter=matter,
            target=user,
            screen=screen.pk,
        )
        raise ScreenedUserError(
            f"{username} is screened from {matter.slug} (an ethical wall) and cannot be "
            "added. Only a compliance officer can lift the screen.",
            field="username",
        )
    return membership, created


def _grant(
    actor: audit.Actor, matter: Matter, user: User, role: str, user_created: bool
) -> tuple[Membership, bool]:
    """Make ``user`` a member holding ``role`` (or change their role), audited. Call under the
    matter's row lock."""
    previous_role = (
        Membership.objects.filter(matter=matter, user=user).values_list("role", flat=True).first()
    )
    if previous_role == Role.MANAGER and role != Role.MANAGER:
        keep_a_manager(matter, user)
    membership, created = Membership.objects.get_or_create(
        matter=matter, user=user, defaults={"role": role, "added_by": audit.person(actor)}
    )
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    audit.record_membership(
        actor,
        membership,
        change="added" if created else _change(previous_role, role),
        previous_role=previous_role,
        user_created=user_created,
    )
    return membership, created


def change_role(actor: audit.Actor, matter: Matter, username: str, role: str) -> Membership:
    """Change a member's role (a missing member is ``MemberNotFoundError``), under the matter's
    row lock: a member removed meanwhile is not added back, and a deactivated member can still
    be demoted."""
    _check_role(role)
    with transaction.atomic():
        Matter.objects.select_for_update().filter(pk=matter.pk).first()
        membership = _membership(matter, username)
        return _grant(actor, matter, membership.user, role, user_created=False)[0]


def remove_member(actor: audit.Actor, matter: Matter, username: str, reason: str = "") -> None:
    with transaction.atomic():
        Matter.objects.select_for_update().filter(pk=matter.pk).first()
        membership = _membership(matter, username)
        if membership.role == Role.MANAGER:
            keep_a_manager(matter, membership.user)
        membership.delete()
        audit.record_membership(
            actor,
            membership,
            change="removed",
            previous_role=membership.role,
            **({"reason": reason} if reason else {}),
        )


def _membership(matter: Matter, username: str) -> Membership:
    found = (
        Membership.objects.select_related("user")
        .filter(matter=matter, user__username=username)
        .first()
    )
    if found is None:
        raise MemberNotFoundError(f"{username} is not a member of {matter.slug}.", field="username")
    return found


def keep_a_manager(matter: Matter, leaving: User) -> None:
    """Refuse (``LastManagerError``) when ``leaving`` is the matter's only manager: a matter
    without one could not be run (members, holds, closing) from the UI or the API."""
    others = Membership.objects.filter(matter=matter, role=Role.MANAGER).exclude(user=leaving)
    if not others.exists():
        raise LastManagerError(
            f"{leaving.get_username()} is the only manager of {matter.slug}; make someone "
            "else a manager first.",
            field="role",
        )


def _change(previous_role: str | None, role: str) -> str:
    return "unchanged" if previous_role == role else "role changed"


@dataclass(frozen=True, slots=True)
class Member:
    """One row of a matter's member list."""

    username: str
    full_name: str
    role: str
    added_by: str | None
    added_at: datetime
    last_access: datetime | None  # the member's latest audited action in the matter


def last_access_subquery(matter_field: str = "matter_id", user_field: str = "user_id") -> Subquery:
    """The latest audited action (a denial aside) of the row's user in the row's matter."""
    return Subquery(
        AuditEvent.objects.filter(actor_id=OuterRef(user_field), matter_id=OuterRef(matter_field))
        .exclude(action=Action.ACCESS_DENIED)
        .values("actor_id")
        .annotate(latest=Max("at"))
        .values("latest")[:1]
    )


def members(matter: Matter) -> list[Member]:
    """The matter's members, managers first, then by name."""
    rows = (
        Membership.objects.filter(matter=matter)
        .select_related("user", "added_by")
        .annotate(last_access=last_access_subquery())
    )
    rank = {Role.MANAGER: 0, Role.EDITOR: 1, Role.VIEWER: 2}
    result = [
        Member(
            username=row.user.get_username(),
            full_name=row.user.get_full_name(),
            role=row.role,
            added_by=row.added_by.get_username() if row.added_by else None,
            added_at=row.created_at,
            last_access=row.last_access,
        )
        for row in rows
    ]
    return sorted(result, key=lambda m: (rank.get(Role(m.role), 9), m.username))
