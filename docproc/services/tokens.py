"""Making, checking and revoking API tokens.

The plaintext exists only in the return value of ``create_token``; the database holds its
SHA-256. Tokens carry 256 random bits, so an unsalted hash is enough (nothing to brute-force),
and a lookup by hash reveals nothing through timing about any stored token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from docproc.models import ApiToken, Matter
from docproc.models.tokens import ALL_SCOPES, PREFIX_LENGTH, TOKEN_PREFIX
from docproc.services import audit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

logger = logging.getLogger(__name__)

# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_NAME_LENGTH = 100


class TokenError(Exception):
    """A token that cannot be made as asked (unknown scope, matter not the user's, ...)."""


class TokenAuthenticationError(Exception):
    """A presented token that does not authenticate; the message says why, for the client."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def parse_scopes(value: str | Iterable[str]) -> list[str]:
    """``"read,ask"`` or ``["read", "ask"]`` → ``["read", "ask"]`` in canonical order."""
    items = value.split(",") if isinstance(value, str) else list(value)
    scopes = {item.strip().lower() for item in items if item and item.strip()}
    unknown = sorted(scopes - set(ALL_SCOPES))
    if unknown:
        raise TokenError(
            f"Unknown scope(s): {', '.join(unknown)}; choose from {', '.join(ALL_SCOPES)}."
        )
    if not scopes:
        raise TokenError(f"Give at least one scope: {', '.join(ALL_SCOPES)}.")
    return [scope for scope in ALL_SCOPES if scope in scopes]


def create_token(
    user: User,
    scopes: str | Iterable[str],
    matters: Iterable[Matter] = (),
    expires_in_days: float | None = None,
    name: str = "",
    actor: User | AnonymousUser | None = None,
) -> IssuedToken:
    """A new token for ``user``. ``matters`` (each one the user must be a member of) limit it;
    none means every matter the user belongs to, now or later. ``actor`` made it (None: the
    system); it is audited."""
    scope_list = parse_scopes(scopes)
    matters = list(matters)
    for matter in matters:
        if matter.role_of(user) is None:
            raise TokenError(f"{user} is not a member of the matter {matter.slug}.")
    if expires_in_days is not None and expires_in_days <= 0:
        raise TokenError("The expiry must be a positive number of days.")
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise TokenError(f"The name is longer than {MAX_NAME_LENGTH} characters.")
    expires_at = (
        timezone.now() + timedelta(days=expires_in_days) if expires_in_days is not None else None
    )
    for _ in range(5):  # the 8-character prefix is unique; a clash is rare, so draw again
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user,
                    name=name,
                    prefix=plaintext[:PREFIX_LENGTH],
                    secret_hash=hash_token(plaintext),
                    scopes=scope_list,
                    expires_at=expires_at,
                    limited_to_matters=bool(matters),
                )
                token.matters.set(matters)
                _record(actor, token, "created")
        except IntegrityError:
            continue
        logger.info("API token %s created for %s", token.prefix, user)
        return IssuedToken(token=token, plaintext=plaintext)
    raise TokenError("Could not draw a unique token prefix; try again.")


def authenticate(plaintext: str) -> ApiToken:
    """The active token whose hash matches ``plaintext``, with its user; else
    ``TokenAuthenticationError`` saying why (unknown, revoked, expired, user inactive)."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        raise TokenAuthenticationError("Invalid token.")
    digest = hash_token(plaintext)
    token = ApiToken.objects.select_related("user").filter(secret_hash=digest).first()
    if token is None or not hmac.compare_digest(token.secret_hash, digest):
        raise TokenAuthenticationError("Invalid token.")
    if token.is_revoked:
        raise TokenAuthenticationError("This token has been revoked.")
    now = timezone.now()
    if token.is_expired(now):
        raise TokenAuthenticationError("This token has expired.")
    if not token.user.is_active:
        raise TokenAuthenticationError("The user of this token is inactive.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke(token: ApiToken, actor: User | AnonymousUser | None = None) -> bool:
    """Revoke ``token``; False if it already was (its revocation time is kept). ``actor`` did it
    (None: the system); it is audited."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        token.refresh_from_db(fields=["revoked_at"])
        if updated:
            _record(actor, token, "revoked")
    if updated:
        logger.info("API token %s of %s revoked", token.prefix, token.user_id)
    return bool(updated)


def _record(actor: User | AnonymousUser | None, token: ApiToken, change: str) -> None:
    """A token created or revoked, named by its prefix (never its secret)."""
    audit.record(
        actor,
        audit.Action.TOKEN_CHANGE,
        target=token,
        details={
            "change": change,
            "prefix": token.prefix,
            "user": token.user.get_username(),
            "name": token.name,
            "scopes": list(token.scopes),
            "matters": sorted(token.matters.values_list("slug", flat=True)),
            "expires_at": token.expires_at,
        },
    )


def describe(token: ApiToken) -> dict[str, Any]:
    """What may be shown about a token (never its secret or hash)."""
    return {
        "prefix": token.prefix,
        "name": token.name,
        "user": token.user.get_username(),
        "scopes": list(token.scopes),
        "matters": sorted(token.matters.values_list("slug", flat=True)),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "state": token.state,
    }
