"""Who may open the compliance pages: superusers, and holders of the permission each page
names (``docproc.manage_screens`` for screens, ``docproc.review_access`` for access review and
retention). Anyone else signed in gets 403, and the refusal is audited."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from docproc.services import audit


def requires(permission: str) -> Callable:
    """A view decorator: sign-in required, then ``permission`` (or superuser)."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (user.is_superuser or user.has_perm(permission)):
                audit.denied(
                    user,
                    reason=f"needs the {permission} permission",
                    status=403,
                    target=("page", request.path[:64]),
                )
                raise PermissionDenied(f"This page needs the {permission} permission.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
