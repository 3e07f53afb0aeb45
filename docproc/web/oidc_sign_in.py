"""Single sign-on with OpenID Connect (mozilla-django-oidc, the authorization-code flow with
PKCE), configured by ``DOCPROC_OIDC_*`` (docproc/sign_in_settings.py).

The provider's endpoints are given one by one or read from its discovery document
(``DOCPROC_OIDC_ISSUER``/.well-known/openid-configuration) at the first single sign-on, never at
start-up nor during a password sign-in, so a provider that is down stops only single sign-on.

Users are found and made by the username claim (``DOCPROC_OIDC_USERNAME_CLAIM``); their names
and e-mail are updated from the claims at each sign-on, and their docproc groups mapped from the
groups claim (``services.directory_groups``). A local account (one with a usable password) is
never signed in to by the provider, so a provider cannot take over a break-glass administrator.
A failed sign-on goes back to the sign-in page with the reason in words.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from docproc.services import directory_groups

logger = logging.getLogger(__name__)

# mozilla-django-oidc's endpoint settings -> the discovery document's names for them.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
# Discovery documents read by this process, by issuer (kept only once one was read whole).
_discovered: dict[str, dict[str, Any]] = {}


class ProviderUnavailableError(Exception):
    """The OpenID provider could not be asked (down, slow, or answering nonsense)."""


def provider_endpoints() -> dict[str, str]:
    """Every endpoint mozilla-django-oidc needs: the ones set explicitly, the rest from the
    issuer's discovery document."""
    explicit = {name: getattr(settings, name, "") for name in ENDPOINTS}
    if all(explicit.values()):
        return explicit
    document = _discovery(_conf("OIDC_ISSUER"))
    found = {name: explicit[name] or document.get(key, "") for name, key in ENDPOINTS.items()}
    missing = [ENDPOINTS[name] for name, value in found.items() if not value]
    if missing:
        raise ProviderUnavailableError(f"the discovery document lacks {', '.join(missing)}")
    return found


def _discovery(issuer: str) -> dict[str, Any]:
    if issuer in _discovered:
        return _discovered[issuer]
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=_conf("OIDC_TIMEOUT"), verify=_conf("OIDC_VERIFY_SSL"))
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailableError(f"cannot read {url}: {exc}") from exc
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
        # OpenID Connect Discovery 4.3: the document must name the issuer it was asked of.
        raise ProviderUnavailableError(f"{url} does not describe the issuer {issuer}")
    _discovered[issuer] = document
    return document


def _conf(name: str) -> Any:
    """One of the OIDC_* settings (set only when single sign-on is configured)."""
    return getattr(settings, name)


def _failed(request, reason: str) -> None:
    request.single_sign_on_failure = reason


class SingleSignOnBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend: users by the username claim, local accounts refused,
    groups mapped, and no network until a sign-on callback is being handled."""

    def __init__(self, *args, **kwargs) -> None:
        # Not the parent's __init__: Django builds every backend for every sign-in (password
        # ones too), and the parent's would read the endpoints (here: maybe from the network).
        self.OIDC_RP_CLIENT_ID = _conf("OIDC_RP_CLIENT_ID")
        self.OIDC_RP_CLIENT_SECRET = _conf("OIDC_RP_CLIENT_SECRET")
        self.OIDC_RP_SIGN_ALGO = _conf("OIDC_RP_SIGN_ALGO")
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not settings.OIDC_ENABLED:
            return None  # not the sign-on callback (only it passes the nonce)
        try:
            for name, value in provider_endpoints().items():
                setattr(self, name, value)
            return super().authenticate(request, **kwargs)
        except (ProviderUnavailableError, requests.RequestException) as exc:
            logger.warning("single sign-on: the provider could not be asked: %s", exc)
            _failed(request, "unavailable")
        except (SuspiciousOperation, jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
            # A token that does not verify (or not yet: the clocks differ), a wrong nonce, a
            # token or key set missing its parts: refused, never a 500.
            logger.warning("single sign-on refused: %s: %s", type(exc).__name__, exc)
            if not getattr(request, "single_sign_on_failure", ""):  # keep a precise reason
                _failed(request, "refused")
        return None

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def _username(self, claims) -> str:
        return str(claims.get(_conf("OIDC_USERNAME_CLAIM")) or "").strip()

    def verify_claims(self, claims) -> bool:
        username = self._username(claims)
        field = self.UserModel._meta.get_field(self.UserModel.USERNAME_FIELD)
        return bool(username) and len(username) <= (getattr(field, "max_length", None) or 150)

    def describe_user_by_claims(self, claims) -> str:
        return f"username {self._username(claims)!r}"

    def filter_users_by_claims(self, claims):
        # Whatever its case: "Alice" from the provider is the directory's or admin's "alice",
        # never a second account beside it (two found: refused by the library).
        return self.UserModel.objects.filter(
            **{f"{self.UserModel.USERNAME_FIELD}__iexact": self._username(claims)}
        )

    def create_user(self, claims):
        user = self.UserModel(**{self.UserModel.USERNAME_FIELD: self._username(claims)})
        user.set_unusable_password()
        return self._update(user, claims)

    def update_user(self, user, claims):
        if user.has_usable_password():
            _failed(self.request, "local_account")
            raise SuspiciousOperation(f"{user.get_username()!r} is a local account")
        return self._update(user, claims)

    def _update(self, user, claims):
        user.email = str(claims.get("email") or user.email or "")[:254]
        user.first_name = str(claims.get("given_name") or user.first_name or "")[:150]
        user.last_name = str(claims.get("family_name") or user.last_name or "")[:150]
        user.save()
        mapping = _conf("OIDC_GROUP_MAP")
        claim = _conf("OIDC_GROUPS_CLAIM")
        if mapping and claim not in claims:
            # Not asked for (scopes) or not released by the provider: the groups stay as they
            # are rather than all being taken away.
            logger.warning("single sign-on: no %r claim for %s; groups kept", claim, user)
        elif mapping:
            held = claims[claim]
            if isinstance(held, str):
                held = [held]
            if not isinstance(held, list):
                raise SuspiciousOperation(f"the {claim!r} claim is neither a list nor a string")
            directory_groups.apply(user, [str(group) for group in held], mapping, source="oidc")
        return user


FAILURE_MESSAGES = {
    "unavailable": "{provider} cannot be reached just now. Try again in a few minutes, or "
    "sign in with a local account.",
    "local_account": "{provider} named a local account, which only signs in with its "
    "password here.",
}
DEFAULT_FAILURE = "Sign-in with {provider} did not complete. Try again."


def _failure_message(request) -> str:
    reason = getattr(request, "single_sign_on_failure", "")
    text = FAILURE_MESSAGES.get(reason, DEFAULT_FAILURE)
    return text.format(provider=_conf("OIDC_PROVIDER_NAME"))


class SingleSignOnStart(OIDCAuthenticationRequestView):
    """``/sso/oidc/start/``: sends the browser to the provider (404 unless configured)."""

    http_method_names = ["get", "head"]

    def __init__(self, **kwargs) -> None:
        View.__init__(self, **kwargs)  # not the parent's: it would read the endpoints now

    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_endpoints()["OIDC_OP_AUTHORIZATION_ENDPOINT"]
        except ProviderUnavailableError as exc:
            logger.warning("single sign-on: the provider could not be asked: %s", exc)
            _failed(request, "unavailable")
            messages.error(request, _failure_message(request))
            return redirect("web:login")
        self.OIDC_RP_CLIENT_ID = _conf("OIDC_RP_CLIENT_ID")
        return super().get(request)


class SingleSignOnCallback(OIDCAuthenticationCallbackView):
    """``/sso/oidc/callback/``: where the provider sends the browser back with a code."""

    http_method_names = ["get", "head"]

    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        if "error" in request.GET:
            # The provider's refusal (or a link made to look like one): no sign-out here, as
            # the library would do, since anyone can send a browser to this address.
            logger.warning("single sign-on: the provider answered %s", request.GET["error"][:100])
            return self.login_failure()
        try:
            return super().get(request)
        except SuspiciousOperation as exc:  # a state this browser never started
            logger.warning("single sign-on callback refused: %s", exc)
            return self.login_failure()

    def login_failure(self):
        messages.error(self.request, _failure_message(self.request))
        return super().login_failure()
