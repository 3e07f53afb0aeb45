"""Ethical-wall screens: a user barred from a matter for a conflict of interest.

Placing a screen removes any membership the user holds (audited), and from then on the user
sees nothing of the matter (``Matter.objects.visible_to`` leaves it out), cannot be added to it,
and every attempt is denied and audited. Screens are placed and lifted by administrators or
compliance officers (``docproc.manage_screens``), always with a reason.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from docproc.models import Matter, Membership, Role, Screen
from docproc.services import audit
from docproc.services.matters import MatterConflictError, MatterError
from docproc.services.memberships import keep_a_manager


def can_manage_screens(user: audit.Actor) -> bool:
    """Administrators and holders of ``docproc.manage_screens`` (compliance officers); an API
    token must be unlimited and carry the ``manage`` scope (the API checks the scope)."""
    if user is None or not user.is_authenticated:
        return False
    token = getattr(user, "api_token", None)
    if token is not None and token.limited_to_matters:
        return False
    return bool(user.is_superuser or user.has_perm("docproc.manage_screens"))


def screen_user(actor: audit.Actor, matter: Matter, username: str, reason: str) -> Screen:
    """Bar ``username`` from ``matter``; removes their membership if they hold one."""
    if not reason.strip():
        raise MatterError("A screen needs a reason (e.g. the conflict).", field="reason")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise MatterError(f"There is no user {username!r}.", field="username")
    try:
        with transaction.atomic():
            Matter.objects.select_for_update().filter(pk=matter.pk).first()
            membership = Membership.objects.filter(matter=matter, user=user).first()
            if membership is not None and membership.role == Role.MANAGER:
                keep_a_manager(matter, user)
            screen = Screen.objects.create(
                matter=matter, user=user, reason=reason.strip(), created_by=audit.person(actor)
            )
            if membership is not None:
                membership.delete()
                audit.record_membership(
                    actor,
                    membership,
                    change="removed",
                    previous_role=membership.role,
                    reason="screened",
                    screen=screen.pk,
                )
            audit.record(
                actor,
                audit.Action.SCREEN_CHANGE,
                matter=matter,
                target=user,
                details={
                    "change": "placed",
                    "screen": screen.pk,
                    "user": username,
                    "reason": screen.reason,
                    "membership_removed": membership.role if membership else None,
                },
            )
    except IntegrityError as exc:
        raise MatterConflictError(f"{username} is already screened from {matter.slug}.") from exc
    return screen


def lift_screen(actor: audit.Actor, screen: Screen, reason: str) -> Screen:
    """End a screen (kept as history). The user's membership is not restored: a manager adds
    them again if they should have access."""
    if not reason.strip():
        raise MatterError("Say why the screen is lifted.", field="reason")
    with transaction.atomic():
        locked = (
            Screen.objects.select_for_update().select_related("user", "matter").get(pk=screen.pk)
        )
        if locked.lifted_at is not None:
            raise MatterConflictError("This screen was already lifted.")
        locked.lifted_at = timezone.now()
        locked.lifted_by = audit.person(actor)
        locked.lift_reason = reason.strip()
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit.record(
            actor,
            audit.Action.SCREEN_CHANGE,
            matter=locked.matter,
            target=locked.user,
            details={
                "change": "lifted",
                "screen": locked.pk,
                "user": locked.user.get_username(),
                "reason": locked.lift_reason,
            },
        )
    return locked
