"""Matters (a case, a patient file, an account), the memberships that grant access to them, the
screens that bar a user from one (an ethical wall), and the practice areas that set a default
retention.

Access is deny-by-default: a user sees a matter only through a membership, and never while a
screen bars them from it; staff and superusers are not implicitly members.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    MANAGER = "manager", "Manager"


ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.MANAGER: 3}


class MatterStatus(models.TextChoices):
    """An open matter takes uploads; a closed one is read-only (questions are still allowed and
    audited) and its retention period runs from the day it was closed."""

    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


def token_matter_ids(user) -> frozenset[int] | None:
    """The matters an API token limits this request to, or None when not limited.

    The API's bearer authentication puts the token on the user it returns (``user.api_token``),
    so every ``visible_to`` query of that request narrows to the token's matters."""
    token = getattr(user, "api_token", None)
    return token.matter_ids if token is not None else None


def roles_at_least(min_role: str) -> list[str]:
    return [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[Role(min_role)]]


def screened(user, matter_field: str = "pk") -> Exists:
    """True where an active screen bars ``user`` from the row's matter (``matter_field``: the
    path from the row to the matter's id)."""
    return Exists(
        Screen.objects.filter(matter_id=OuterRef(matter_field), user=user, lifted_at__isnull=True)
    )


class MatterQuerySet(models.QuerySet):
    def visible_to(self, user, min_role: str = Role.VIEWER) -> MatterQuerySet:
        """Matters where ``user`` holds at least ``min_role``, is not screened, and (if the
        request's API token is limited to matters) that the token names; nothing for anonymous
        users."""
        if user is None or not user.is_authenticated:
            return self.none()
        matters = (
            self.filter(memberships__user=user, memberships__role__in=roles_at_least(min_role))
            .exclude(screened(user))
            .distinct()
        )
        limit = token_matter_ids(user)
        return matters if limit is None else matters.filter(pk__in=limit)


class PracticeArea(models.Model):
    """A practice area (litigation, oncology, retail banking, ...): groups matters and gives
    them a default retention period."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    # Years a closed matter's documents are kept; None: kept until someone deletes them.
    default_retention_years = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Matter(models.Model):
    slug = models.SlugField(max_length=100, unique=True)  # the firm's reference for the matter
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    client_reference = models.CharField(max_length=100, blank=True, default="")  # or patient's
    practice_area = models.ForeignKey(
        PracticeArea, null=True, blank=True, on_delete=models.PROTECT, related_name="matters"
    )
    status = models.CharField(max_length=10, choices=MatterStatus.choices, default="open")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Years after closing that documents are kept; None: the practice area's default.
    retention_years = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MatterQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        permissions = [
            ("manage_screens", "Can screen users from matters (ethical walls)"),
            ("review_access", "Can review who can access matters and export the review"),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_closed(self) -> bool:
        return self.status == MatterStatus.CLOSED

    def role_of(self, user) -> str | None:
        """The role ``user`` holds in this matter, or None (also while a screen bars them)."""
        if user is None or not user.is_authenticated:
            return None
        if self.screens.filter(user=user, lifted_at__isnull=True).exists():
            return None
        membership = self.memberships.filter(user=user).only("role").first()
        return membership.role if membership else None

    def allows(self, user, min_role: str) -> bool:
        role = self.role_of(user)
        return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(min_role)]

    def effective_retention_years(self) -> int | None:
        """The matter's own retention, else its practice area's default, else None (kept)."""
        if self.retention_years is not None:
            return self.retention_years
        return self.practice_area.default_retention_years if self.practice_area else None

    def retention_ends(self) -> datetime | None:
        """When a closed matter's documents fall due for purging (None: open, or kept)."""
        years = self.effective_retention_years()
        if self.closed_at is None or years is None:
            return None
        return add_years(self.closed_at, years)


def add_years(moment: datetime, years: int) -> datetime:
    """``moment`` plus whole calendar years (29 February becomes 28 February; past the year
    9999, which no date can hold, the end of 9999)."""
    if moment.year + years > 9999:
        return moment.replace(year=9999, month=12, day=31)
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


class Membership(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["matter", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.matter} as {self.role}"

    def clean(self) -> None:
        """A screened user cannot be made a member (forms, the admin); the services refuse too."""
        if (
            self.matter_id is not None
            and self.user_id is not None
            and Screen.objects.filter(
                matter_id=self.matter_id, user_id=self.user_id, lifted_at__isnull=True
            ).exists()
        ):
            raise ValidationError(
                {"user": "This user is screened from the matter (an ethical wall)."}
            )


class Screen(models.Model):
    """An ethical wall: ``user`` may not see or join ``matter`` (a conflict of interest), placed
    by an administrator or compliance officer with a reason; lifted, not deleted, so its history
    stays."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="screens")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="screens"
    )
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "user"],
                condition=Q(lifted_at__isnull=True),
                name="one_active_screen_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} screened from {self.matter}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None
