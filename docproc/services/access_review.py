"""The access review for compliance: per matter and per user, who can access what and when they
last did, and which members have not used a matter for a while.

One row per (matter, user):
- ``member``: a membership, with its role, who added it and when;
- ``break-glass``: a superuser who is not a member. Superusers are never implicitly members
  (they see no document's text), but the Django admin and the audit console show them every
  matter's name and file names, so a reviewer must see them listed;
- ``screened``: a screen in force (an ethical wall): no access, with who placed it, when, why.

"Last access" is the user's latest audited action in the matter, a denial aside: the same
definition as the member list's (``memberships.last_access_subquery``). The whole review takes
a constant number of queries whatever its size (matters, memberships, screens, superusers, and
one grouped query over the audit log), never one per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Max, QuerySet
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import User

from docproc.models import AuditEvent, Matter, Membership, Role, Screen
from docproc.models.audit import Action
from docproc.services import audit


class Access:
    """What a row's user can do in its matter."""

    MEMBER = "member"
    BREAK_GLASS = "break-glass"
    SCREENED = "screened"


BREAK_GLASS_NOTE = (
    "superuser, not a member: sees the matter's name and file names in the Django admin and the "
    "audit console, never its documents"
)
_ORDER = {Access.MEMBER: 0, Access.BREAK_GLASS: 1, Access.SCREENED: 2}
_ROLE_ORDER = {Role.MANAGER: 0, Role.EDITOR: 1, Role.VIEWER: 2}


@dataclass(frozen=True, slots=True)
class AccessRow:
    """One (matter, user) of the review."""

    matter_id: int
    matter: str  # the matter's slug (its reference)
    matter_name: str
    matter_status: str
    user_id: int
    username: str
    full_name: str
    access: str  # an ``Access`` value
    role: str  # members only; "" otherwise
    superuser: bool
    added_by: str | None  # members: who added them; screened: who placed the screen
    added_at: datetime | None  # members: when added; screened: when the screen was placed
    last_access: datetime | None  # the user's latest audited action in the matter
    note: str = ""  # break-glass: what a superuser sees; screened: the screen's reason

    @property
    def can_access(self) -> bool:
        return self.access != Access.SCREENED


@dataclass(frozen=True, slots=True)
class ReviewFilter:
    """Narrow the review to one matter (its slug) and/or one user (their user name)."""

    matter: str = ""
    user: str = ""

    def as_details(self) -> dict[str, str]:
        return {
            name: value for name, value in (("matter", self.matter), ("user", self.user)) if value
        }


def review(filters: ReviewFilter | None = None, *, break_glass: bool = True) -> list[AccessRow]:
    """The review's rows, by matter slug; in a matter members (managers first), then
    break-glass superusers, then screened users, each by user name. ``break_glass=False``
    leaves the superusers who are not members out. At most five queries, whatever the size."""
    filters = filters or ReviewFilter()
    matters = Matter.objects.all()
    if filters.matter:
        matters = matters.filter(slug=filters.matter)
    matter_list = list(matters.only("id", "slug", "name", "status"))
    matter_by_id = {m.pk: m for m in matter_list}
    if not matter_by_id:
        return []

    # Plain values, not model instances: a review has thousands of rows.
    memberships = Membership.objects.filter(matter__in=matters).values(*_MEMBER_FIELDS)
    screens = Screen.objects.filter(matter__in=matters, lifted_at__isnull=True).select_related(
        "user", "created_by"
    )
    superusers = get_user_model().objects.filter(is_superuser=True, is_active=True)
    if filters.user:
        memberships = memberships.filter(user__username=filters.user)
        screens = screens.filter(user__username=filters.user)
        superusers = superusers.filter(username=filters.user)
    latest = last_accesses(matters, user=filters.user or None)

    rows: list[AccessRow] = []
    for member in memberships:
        pair = (member["matter_id"], member["user_id"])
        rows.append(_member_row(matter_by_id[pair[0]], member, latest.get(pair)))
    for screen in screens:
        pair = (screen.matter_id, screen.user_id)
        rows.append(_screened_row(matter_by_id[pair[0]], screen, latest.get(pair)))
    if break_glass:
        listed = {(row.matter_id, row.user_id) for row in rows}
        for user in superusers.order_by("username"):
            for matter in matter_list:
                pair = (matter.pk, user.pk)
                if pair not in listed:
                    rows.append(_break_glass_row(matter, user, latest.get(pair)))
    return sorted(rows, key=_sort_key)


def last_accesses(
    matters: QuerySet[Matter] | Iterable[Matter], *, user: str | None = None
) -> dict[tuple[int, int], datetime]:
    """(matter id, user id) → the user's latest audited action in the matter, a denial aside:
    one grouped query over the audit log (``matters``: a queryset or list of matters; ``user``:
    only that user name's)."""
    events = AuditEvent.objects.filter(matter__in=matters, actor__isnull=False).exclude(
        action=Action.ACCESS_DENIED
    )
    if user:
        events = events.filter(actor__username=user)
    grouped = events.order_by().values("matter_id", "actor_id").annotate(latest=Max("at"))
    return {(row["matter_id"], row["actor_id"]): row["latest"] for row in grouped}


@dataclass(frozen=True, slots=True)
class StaleMember:
    """A member who has not used a matter for ``idle_days`` (never: counted from when added)."""

    row: AccessRow
    idle_since: datetime
    idle_days: int


def stale_members(
    days: int, filters: ReviewFilter | None = None, *, now: datetime | None = None
) -> list[StaleMember]:
    """Members whose last access (or, if they never used the matter, their being added) is
    ``days`` days or more before ``now``: the candidates for removal a periodic report lists."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    found = []
    for row in review(filters, break_glass=False):
        if row.access != Access.MEMBER:
            continue
        since = row.last_access or row.added_at
        if since is not None and since <= cutoff:
            found.append(StaleMember(row, since, (now - since).days))
    return found


_MEMBER_FIELDS = (
    "matter_id",
    "user_id",
    "role",
    "created_at",
    "user__username",
    "user__first_name",
    "user__last_name",
    "user__is_superuser",
    "added_by__username",
)


def _member_row(matter: Matter, member: dict[str, Any], last_access: datetime | None) -> AccessRow:
    full_name = f"{member['user__first_name']} {member['user__last_name']}".strip()
    return AccessRow(
        matter_id=matter.pk,
        matter=matter.slug,
        matter_name=matter.name,
        matter_status=matter.status,
        user_id=member["user_id"],
        username=member["user__username"],
        full_name=full_name,  # as ``User.get_full_name`` makes it
        access=Access.MEMBER,
        role=member["role"],
        superuser=member["user__is_superuser"],
        added_by=member["added_by__username"],
        added_at=member["created_at"],
        last_access=last_access,
    )


def _screened_row(matter: Matter, screen: Screen, last_access: datetime | None) -> AccessRow:
    user = screen.user
    return AccessRow(
        matter_id=matter.pk,
        matter=matter.slug,
        matter_name=matter.name,
        matter_status=matter.status,
        user_id=user.pk,
        username=user.get_username(),
        full_name=user.get_full_name(),
        access=Access.SCREENED,
        role="",
        superuser=user.is_superuser,
        added_by=screen.created_by.get_username() if screen.created_by else None,
        added_at=screen.created_at,
        last_access=last_access,
        note=screen.reason,
    )


def _break_glass_row(matter: Matter, user: User, last_access: datetime | None) -> AccessRow:
    return AccessRow(
        matter_id=matter.pk,
        matter=matter.slug,
        matter_name=matter.name,
        matter_status=matter.status,
        user_id=user.pk,
        username=user.get_username(),
        full_name=user.get_full_name(),
        access=Access.BREAK_GLASS,
        role="",
        superuser=True,
        added_by=None,
        added_at=None,
        last_access=last_access,
        note=BREAK_GLASS_NOTE,
    )


def _sort_key(row: AccessRow) -> tuple[str, int, int, str]:
    return (
        row.matter,
        _ORDER[row.access],
        _ROLE_ORDER.get(Role(row.role), 9) if row.role else 9,
        row.username,
    )


def record_review(
    actor: audit.Actor, filters: ReviewFilter, *, rows: int, output: str, **extra: object
) -> AuditEvent:
    """The review seen or exported (``output``: ``page``, ``csv``, ``command``, ``report``),
    with its filters and how many rows it held. No matter is linked: reviewing who may see a
    matter is not using it, and must not count as the reviewer's last access."""
    return audit.record(
        actor,
        Action.ACCESS_REVIEW,
        details={"output": output, "filters": filters.as_details(), "rows": rows, **extra},
    )
