"""Bearer tokens for internal systems: ``Authorization: Bearer dp_...``.

HTTP Basic is refused with a 401 that says to use a token: a password would bypass the scopes,
matter limits, expiry and revocation a token carries. A request with a bearer header is decided by
it alone: an unknown, revoked or expired token is
401 ``authentication_failed`` with a detail saying which, and a ``WWW-Authenticate: Bearer``
challenge. On success ``request.user`` is the token's user carrying the token as
``user.api_token`` (so ``visible_to`` narrows to a matter-limited token's matters) and
``request.auth`` is the token (whose scopes ``docproc.api.scopes`` checks).

Failed tokens are counted per client address (``audit.flood``): the first of a window is
recorded, the rest only counted; beyond ``DOCPROC_TOKEN_FAILURES_PER_ADDRESS`` a window, a
failed token gets 429 ``throttled`` until the window ends. A valid token always passes (it
cannot be guessed, and a neighbour at the same address must not lock a system out).
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from docproc.models.tokens import PREFIX_LENGTH, TOKEN_PREFIX
from docproc.services import audit, tokens

KEYWORD = b"bearer"
REFUSED_KEYWORD = b"basic"
REALM = "api"
TOO_MANY_FAILURES = "Too many failed tokens from your address; refused until the window ends."
BASIC_REFUSED = (
    "HTTP Basic (a password) is not accepted by the API; send a bearer token "
    "(Authorization: Bearer dp_...) made on the API tokens page or with "
    "manage.py create_api_token."
)


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if parts and parts[0].lower() == REFUSED_KEYWORD:
            raise exceptions.AuthenticationFailed(BASIC_REFUSED)
        if not parts or parts[0].lower() != KEYWORD:
            return None  # not ours: another authenticator (or none) decides
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: give exactly one token after 'Bearer'."
            )
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        try:
            token = tokens.authenticate(plaintext)
        except tokens.TokenAuthenticationError as exc:
            burst = audit.flood.count_failure(audit.flood.TOKEN)
            if burst.to_record:
                prefix = plaintext[:PREFIX_LENGTH] if plaintext.startswith(TOKEN_PREFIX) else ""
                failure = {"method": "token", "prefix": prefix, "reason": str(exc)}
                audit.record(
                    None, audit.Action.SIGN_IN_FAILED, details={**failure, **burst.details()}
                )
            wait = audit.flood.token_refusal(burst)
            if wait is not None:
                raise exceptions.Throttled(wait, TOO_MANY_FAILURES) from exc
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        user = token.user
        # Request-scoped, not a field: models.matters.token_matter_ids reads it (getattr), so
        # every visible_to query of this request narrows to the token's matters.
        user.api_token = token  # type: ignore[attr-defined]
        return user, token

    def authenticate_header(self, request) -> str:
        # RFC 6750: say the presented token was the problem, when one was presented.
        parts = get_authorization_header(request).split()
        if parts and parts[0].lower() == KEYWORD:
            return f'Bearer realm="{REALM}", error="invalid_token"'
        return f'Bearer realm="{REALM}"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes the bearer token in the OpenAPI schema (drf-spectacular finds it by import)."""

    target_class = "docproc.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "dp_ + 43 URL-safe characters",
            "description": (
                "A token from `manage.py create_api_token` or the Tokens page, scoped to verbs "
                "(read, write, ask, extract, manage) and optionally to matters."
            ),
        }
