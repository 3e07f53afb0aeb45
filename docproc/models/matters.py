"""Matters (a case, a patient file, an account) and the memberships that grant access to them.

Access is deny-by-default: a user sees a matter only through a membership; staff and superusers
are not implicitly members.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    MANAGER = "manager", "Manager"


ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.MANAGER: 3}


def token_matter_ids(user) -> frozenset[int] | None:
    """The matters an API token limits this request to, or None when not limited.

    The API's bearer authentication puts the token on the user it returns (``user.api_token``),
    so every ``visible_to`` query of that request narrows to the token's matters."""
    token = getattr(user, "api_token", None)
    return token.matter_ids if token is not None else None


class MatterQuerySet(models.QuerySet):
    def visible_to(self, user, min_role: str = Role.VIEWER) -> MatterQuerySet:
        """Matters where ``user`` holds at least ``min_role`` (and that the request's API token,
        if limited to matters, names); nothing for anonymous users."""
        if user is None or not user.is_authenticated:
            return self.none()
        allowed = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[Role(min_role)]]
        matters = self.filter(memberships__user=user, memberships__role__in=allowed).distinct()
        limit = token_matter_ids(user)
        return matters if limit is None else matters.filter(pk__in=limit)


class Matter(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MatterQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def role_of(self, user) -> str | None:
        """The role ``user`` holds in this matter, or None."""
        if user is None or not user.is_authenticated:
            return None
        membership = self.memberships.filter(user=user).only("role").first()
        return membership.role if membership else None

    def allows(self, user, min_role: str) -> bool:
        role = self.role_of(user)
        return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(min_role)]


class Membership(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["matter", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.matter} as {self.role}"
