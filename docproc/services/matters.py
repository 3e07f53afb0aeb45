"""Matters and memberships."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from docproc.models import Matter, Membership, Role
from docproc.services import audit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class MatterError(ValueError):
    """A matter or membership request that cannot be honoured."""


def get_or_create_matter(slug: str, name: str | None = None) -> tuple[Matter, bool]:
    clean = slugify(slug)
    if not clean or clean != slug:
        raise MatterError(
            f"{slug!r} is not a valid matter slug (use lowercase letters, digits and hyphens)"
        )
    return Matter.objects.get_or_create(slug=slug, defaults={"name": name or slug})


def add_member(
    matter: Matter, username: str, role: str, actor: User | AnonymousUser | None = None
) -> tuple[Membership, bool]:
    """Give ``username`` a role in the matter, creating the user (with no usable password) if
    missing. Re-running with another role changes the role. ``actor`` made the change (None:
    the system); it is audited."""
    if role not in Role.values:
        raise MatterError(f"role must be one of {', '.join(Role.values)}, not {role!r}")
    user_model = get_user_model()
    with transaction.atomic():
        user, user_created = user_model.objects.get_or_create(username=username)
        if user_created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        roles = Membership.objects.filter(matter=matter, user=user).values_list("role", flat=True)
        previous_role = roles.first()
        membership, created = Membership.objects.update_or_create(
            matter=matter, user=user, defaults={"role": role}
        )
        audit.record_membership(
            actor,
            membership,
            change="added" if created else _change(previous_role, role),
            previous_role=previous_role,
            user_created=user_created,
        )
    return membership, created


def _change(previous_role: str | None, role: str) -> str:
    return "unchanged" if previous_role == role else "role changed"
