"""Sign-in, sign-in failure and sign-out, recorded in the audit log from Django's auth signals
(connected in ``DocprocConfig.ready``). The receivers only record; no logic hangs on them."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from docproc.services import audit


@receiver(user_logged_in, dispatch_uid="docproc.audit.sign_in")
def signed_in(sender, request, user, **kwargs) -> None:
    audit.record(user, audit.Action.SIGN_IN)


@receiver(user_logged_out, dispatch_uid="docproc.audit.sign_out")
def signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:  # signing out without being signed in is nothing to record
        audit.record(user, audit.Action.SIGN_OUT)


@receiver(user_login_failed, dispatch_uid="docproc.audit.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    """The name tried is kept (the password never reaches here: Django masks it). Counted per
    name and client address (``audit.flood``): only the address's first failure of a window is
    recorded, with the previous window's count; the counts lock sign-in out (``sign_in``)."""
    field = get_user_model().USERNAME_FIELD
    tried = str(credentials.get(field) or credentials.get("username") or "")
    burst = audit.flood.count_sign_in_failure(tried)
    if burst.to_record:
        method = "oidc" if "nonce" in credentials else "password"  # only single sign-on's has one
        details = {"method": method, "username": tried, **burst.details()}
        if getattr(request, "directory_unavailable", False):  # set by directory_sign_in
            details["reason"] = "directory_unavailable"
        audit.record(None, audit.Action.SIGN_IN_FAILED, details=details)
