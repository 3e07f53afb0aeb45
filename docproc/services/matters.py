"""A matter's life: created (its creator becomes its manager), edited, closed (read-only) and
reopened, each change audited with what it was before and after.

Membership lives in ``memberships``, screens in ``screens``, legal holds in ``holds``, and
deleting a whole matter in ``matter_deletion``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from docproc.models import Matter, MatterStatus, Membership, PracticeArea, Role
from docproc.services import audit


class MatterError(ValueError):
    """A matter or membership request that cannot be honoured (the request is at fault)."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class MatterGoneError(MatterError):
    """What the request names is not there (404 at the front doors): a member who is not one,
    a matter another request deleted meanwhile."""


class MatterConflictError(MatterError):
    """The request is valid but the matter's state does not allow it (409)."""

    code = "conflict"


class MatterExistsError(MatterConflictError):
    code = "matter_exists"


class MatterClosedError(MatterConflictError):
    code = "matter_closed"


# What ``update_matter`` may change. The slug is the matter's reference in the audit log,
# receipts and other systems, so it is fixed once made.
EDITABLE_FIELDS = ("name", "description", "client_reference", "practice_area", "retention_years")
MAX_RETENTION_YEARS = 100
MAX_DESCRIPTION = 5000  # characters: it is copied into the audit log on every edit


def check_slug(slug: str) -> str:
    clean = slugify(slug)
    if not clean or clean != slug:
        raise MatterError(
            f"{slug!r} is not a valid matter reference (use lowercase letters, digits and hyphens)",
            field="slug",
        )
    return slug


def get_or_create_matter(slug: str, name: str | None = None) -> tuple[Matter, bool]:
    check_slug(slug)
    return Matter.objects.get_or_create(slug=slug, defaults={"name": name or slug})


def practice_area(slug: str | None) -> PracticeArea | None:
    """The practice area named ``slug`` (None for none); an unknown one is a ``MatterError``."""
    if not slug:
        return None
    found = PracticeArea.objects.filter(slug=slug).first()
    if found is None:
        known = ", ".join(PracticeArea.objects.values_list("slug", flat=True)) or "none defined"
        raise MatterError(
            f"There is no practice area {slug!r} (known: {known}).", field="practice_area"
        )
    return found


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise MatterError(f"These cannot be changed: {', '.join(unknown)}.", field=unknown[0])
    if "name" in fields and not str(fields["name"] or "").strip():
        raise MatterError("A matter needs a name.", field="name")
    if len(str(fields.get("description") or "")) > MAX_DESCRIPTION:
        raise MatterError(
            f"A description holds at most {MAX_DESCRIPTION} characters.", field="description"
        )
    years = fields.get("retention_years")
    if years is not None and not 0 <= int(years) <= MAX_RETENTION_YEARS:
        raise MatterError(
            f"Retention must be between 0 and {MAX_RETENTION_YEARS} years.",
            field="retention_years",
        )


def create_matter(actor: audit.Actor, *, slug: str, name: str, **fields: Any) -> Matter:
    """A new open matter; ``actor`` (if a person) becomes its manager. ``fields``: any of
    ``EDITABLE_FIELDS`` besides the name. Who may create one is the front door's check
    (``can_create_matters``)."""
    check_slug(slug)
    _check_fields({"name": name, **fields})
    creator = audit.person(actor)
    try:
        with transaction.atomic():
            matter = Matter.objects.create(
                slug=slug, name=name.strip(), created_by=creator, **fields
            )
            audit.record(
                actor,
                audit.Action.MATTER_CHANGE,
                matter=matter,
                target=matter,
                details={"change": "created", "after": _snapshot(matter)},
            )
            if creator is not None:
                membership = Membership.objects.create(
                    matter=matter, user=creator, role=Role.MANAGER, added_by=creator
                )
                audit.record_membership(actor, membership, change="added", reason="creator")
    except IntegrityError as exc:
        raise MatterExistsError(
            f"A matter with the reference {slug!r} already exists.", field="slug"
        ) from exc
    return matter


def can_create_matters(user: audit.Actor) -> bool:
    """Creating a matter needs the ``docproc.add_matter`` permission (granted by an
    administrator, usually through a group), and a token not limited to matters."""
    if user is None or not user.is_authenticated or not user.has_perm("docproc.add_matter"):
        return False
    token = getattr(user, "api_token", None)
    return token is None or not token.limited_to_matters


def update_matter(actor: audit.Actor, matter: Matter, **changes: Any) -> dict[str, dict[str, Any]]:
    """Change some of ``EDITABLE_FIELDS``; returns ``{field: {"before", "after"}}`` for what
    really changed (audited; nothing recorded when nothing changed)."""
    _check_fields(changes)
    with transaction.atomic():
        locked = Matter.objects.select_for_update().get(pk=matter.pk)
        before = _snapshot(locked)
        for name, value in changes.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        after = _snapshot(locked)
        diff = {k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]}
        if diff:
            locked.save()
            audit.record(
                actor,
                audit.Action.MATTER_CHANGE,
                matter=locked,
                target=locked,
                details={"change": "edited", "fields": diff},
            )
    _refresh(matter, locked)
    return diff


def close_matter(actor: audit.Actor, matter: Matter, reason: str = "") -> Matter:
    """Make the matter read-only (no uploads, reprocessing or deletions of single documents;
    questions, summaries and extraction still work and are audited). Its retention period runs
    from now."""
    return _set_status(actor, matter, MatterStatus.CLOSED, reason)


def reopen_matter(actor: audit.Actor, matter: Matter, reason: str = "") -> Matter:
    return _set_status(actor, matter, MatterStatus.OPEN, reason)


def _set_status(actor: audit.Actor, matter: Matter, status: str, reason: str) -> Matter:
    with transaction.atomic():
        locked = Matter.objects.select_for_update().get(pk=matter.pk)
        if locked.status == status:
            word = "closed" if status == MatterStatus.CLOSED else "open"
            raise MatterConflictError(f"The matter {locked.slug} is already {word}.")
        closing = status == MatterStatus.CLOSED
        locked.status = status
        locked.closed_at = timezone.now() if closing else None
        locked.closed_by = audit.person(actor) if closing else None
        locked.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
        audit.record(
            actor,
            audit.Action.MATTER_CHANGE,
            matter=locked,
            target=locked,
            details={
                "change": "closed" if closing else "reopened",
                "reason": reason,
                "retention_ends": _iso(locked.retention_ends()),
            },
        )
    _refresh(matter, locked)
    return matter


def ensure_open(matter: Matter, doing: str = "change its documents") -> None:
    """Refuse to ``doing`` in a closed matter."""
    if Matter.objects.filter(pk=matter.pk, status=MatterStatus.CLOSED).exists():
        raise MatterClosedError(
            f"The matter {matter.slug} is closed, so you cannot {doing}. A manager can reopen it."
        )


def _snapshot(matter: Matter) -> dict[str, Any]:
    return {
        "slug": matter.slug,
        "name": matter.name,
        "description": matter.description,
        "client_reference": matter.client_reference,
        "practice_area": matter.practice_area.slug if matter.practice_area else None,
        "retention_years": matter.retention_years,
        "status": matter.status,
    }


def _refresh(matter: Matter, saved: Matter) -> None:
    """Copy a locked, saved copy's fields back onto the caller's instance."""
    for field in matter._meta.concrete_fields:
        setattr(matter, field.attname, getattr(saved, field.attname))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
