"""docproc groups given by an organisation's directory: at each sign-in through the directory
(LDAP) or single sign-on (OIDC), the user's directory groups are mapped to docproc's Django
groups (e.g. "Matter creators", "Compliance officers") by ``DOCPROC_LDAP_GROUP_MAP`` /
``DOCPROC_OIDC_GROUP_MAP``.

The directory is the truth for the groups the mapping names: a user who left a directory group
loses the docproc group it gave at their next sign-in. Groups the mapping does not name (given
by hand in the admin) are left alone. A mapped group that does not exist in docproc is reported
in the log, not created: a typo must not make a group.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from django.contrib.auth.models import Group, User
from django.db import transaction

from docproc.services import audit

logger = logging.getLogger(__name__)


def mapped_names(held: Iterable[str], mapping: Mapping[str, tuple[str, ...]]) -> set[str]:
    """The docproc group names that the directory groups ``held`` give (case-insensitive)."""
    names: set[str] = set()
    for directory_group in held:
        names.update(mapping.get(directory_group.strip().lower(), ()))
    return names


def apply(
    user: User,
    held: Iterable[str],
    mapping: Mapping[str, tuple[str, ...]],
    *,
    source: str,
) -> set[str]:
    """Give ``user`` the docproc groups their directory groups ``held`` map to, and take away
    the mapped groups they no longer hold. Returns the names of the mapped groups they now have.
    A change is recorded in the audit log (``source``: "ldap" or "oidc")."""
    managed = {name for names in mapping.values() for name in names}
    wanted = mapped_names(held, mapping)
    existing = {group.name: group for group in Group.objects.filter(name__in=managed)}
    for missing in sorted(wanted - set(existing)):
        logger.warning("directory group map names %r, which is not a docproc group", missing)
    groups = user.groups
    with transaction.atomic():
        current = {group.name for group in groups.filter(name__in=managed)}
        added = sorted((wanted & set(existing)) - current)
        removed = sorted(current - wanted)
        if added:
            groups.add(*(existing[name] for name in added))
        if removed:
            groups.remove(*(existing[name] for name in removed))
        if added or removed:
            audit.record(
                user,
                audit.Action.MEMBERSHIP_CHANGE,
                target=("user", user.pk),
                details={"groups_added": added, "groups_removed": removed, "source": source},
            )
    return (current | set(added)) - set(removed)
