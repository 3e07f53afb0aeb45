"""What a bearer token may do, and how often the expensive verbs may be called.

Every API view declares the scope each of its methods needs, e.g.
``scopes = {"GET": Scope.READ, "DELETE": Scope.WRITE}`` (HEAD and OPTIONS need GET's). A token
lacking it gets 403 ``insufficient_scope``; a method a view declares nothing for is refused to
tokens (deny by default). Session and Basic users are not scoped: their memberships decide.

Expensive views also name a ``throttle_scope`` (``ask``, ``summary``, ``extract``), limited per
token (per user for sessions) by ``DOCPROC_RATE_<SCOPE>``; over the limit is 429 ``throttled``
with ``Retry-After``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from rest_framework import exceptions, permissions
from rest_framework.throttling import SimpleRateThrottle

from docproc.models import ApiToken
from docproc.services.error_codes import INSUFFICIENT_SCOPE

logger = logging.getLogger(__name__)


class InsufficientScopeError(exceptions.APIException):
    status_code = INSUFFICIENT_SCOPE.status
    default_code = INSUFFICIENT_SCOPE.code
    default_detail = INSUFFICIENT_SCOPE.message


def required_scope(view, method: str) -> str | None:
    """The scope ``view`` declares for ``method`` (HEAD and OPTIONS: GET's), or None."""
    declared = getattr(view, "scopes", None) or {}
    method = method.upper()
    if method in ("HEAD", "OPTIONS") and method not in declared:
        method = "GET"
    return declared.get(method)


class TokenHasScope(permissions.BasePermission):
    """Requests authenticated by an API token need the scope the view declares."""

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        scope = required_scope(view, request.method)
        if scope is None:
            raise InsufficientScopeError("API tokens cannot be used for this request.")
        if not token.has_scope(scope):
            raise InsufficientScopeError(
                f"This token lacks the '{scope}' scope needed here "
                f"(it has: {', '.join(token.scopes) or 'none'})."
            )
        return True


class ExpensiveVerbThrottle(SimpleRateThrottle):
    """Rate limit of a view's ``throttle_scope``, per token or, for sessions, per user.

    Rates are read at request time from ``settings.API_RATES`` (``{"ask": "30/min", ...}``).
    If the cache (Redis) cannot be reached the request is let through and the failure logged:
    a rate limit must not take the service down with it."""

    scope_attr = "throttle_scope"

    def __init__(self):
        pass  # the rate depends on the view; see allow_request

    def allow_request(self, request, view) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = settings.API_RATES.get(self.scope)
        if not self.rate:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # the cache backend's errors vary; any one means "no limit"
            logger.warning("rate limit %s not checked: cache unavailable: %s", self.scope, exc)
            return True

    def get_cache_key(self, request, view) -> str:
        if isinstance(getattr(request, "auth", None), ApiToken):  # Django requests have none
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"
