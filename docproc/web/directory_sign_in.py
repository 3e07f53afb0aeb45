"""Sign-in through the organisation's directory (LDAP / Active Directory, django-auth-ldap),
configured by ``DOCPROC_LDAP_*`` (docproc/sign_in_settings.py).

``DirectoryBackend`` is asked before local accounts. On top of django-auth-ldap it:

- refuses while the name or address is locked out, like local sign-in (``sign_in``);
- never signs in to a local account (one with a usable password) that has the same name as a
  directory user: break-glass administrators stay local, and a directory entry cannot take them
  over;
- maps the user's directory groups to docproc groups (``services.directory_groups``) at each
  sign-in;
- notes on the request when the directory could not be used (down, timed out, the service
  account refused), so the sign-in page says so instead of "wrong password", and a session of a
  user made inactive ends.
"""

from __future__ import annotations

import logging

import ldap
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django_auth_ldap.backend import LDAPBackend, ldap_error

from docproc.services import audit, directory_groups

logger = logging.getLogger(__name__)

# Set on the request when the directory could not be asked during this sign-in.
UNAVAILABLE_ATTRIBUTE = "directory_unavailable"


def directory_unavailable(request) -> bool:
    return bool(getattr(request, UNAVAILABLE_ATTRIBUTE, False))


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap's backend with docproc's lockout, local-account guard and group map."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        name = kwargs.get("username", username)
        if name is not None and audit.flood.sign_in_refusal(str(name)) is not None:
            raise PermissionDenied("sign-in locked out")  # authenticate() stops: no other backend
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_or_build_user(self, username, ldap_user):
        user, built = super().get_or_build_user(username, ldap_user)
        if not built and user.has_usable_password():
            raise ldap_user.AuthenticationFailed(
                f"{username!r} is a local account; the directory does not sign in to it"
            )
        return user, built

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        mapping = getattr(settings, "DOCPROC_LDAP_GROUP_MAP", {})
        if user is None or not mapping:
            return user
        try:
            held = ldap_user.group_dns
        except ldap.LDAPError as exc:
            # Without the groups the directory holds now, docproc's could be stale: refuse.
            _note_unavailable(ldap_user._request, "group search", exc)
            return None
        directory_groups.apply(user, held, mapping, source="ldap")
        return user

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None


def _note_unavailable(request, context: str, exception: Exception) -> None:
    logger.warning("the directory could not be used (%s): %r", context, exception)
    if request is not None:
        setattr(request, UNAVAILABLE_ATTRIBUTE, True)


@receiver(ldap_error, dispatch_uid="docproc.directory_unavailable")
def directory_error(sender, context, user, request, exception, **kwargs) -> None:
    """django-auth-ldap's report of an LDAP error it caught (the directory down, a timeout, the
    service account refused): noted on the request for the sign-in page."""
    _note_unavailable(request, context, exception)
