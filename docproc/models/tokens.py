"""API tokens for internal systems: scoped to verbs and optionally to matters, expiring,
revocable, and stored only as a SHA-256 hash.

A token is ``dp_`` + 43 URL-safe characters (256 random bits), shown once when it is made. The
database keeps its first eight characters (``prefix``, unique, to name it in lists and revoke it)
and the hash of the whole; the plaintext is nowhere. A token never grants more than its user has:
memberships are still required, and a matter-limited token sees only its matters.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property

from docproc.models.matters import Matter

TOKEN_PREFIX = "dp_"
PREFIX_LENGTH = 8


class Scope(models.TextChoices):
    """The verbs a token may be granted; every API view declares the one it needs."""

    READ = "read", "Read matters, documents, pages, chunks and originals"
    WRITE = "write", "Upload, delete, supply passwords, reprocess"
    ASK = "ask", "Search and ask questions"
    EXTRACT = "extract", "Summaries and field extraction"
    MANAGE = "manage", "Create, edit and close matters; manage their members and legal holds"


ALL_SCOPES: tuple[str, ...] = tuple(Scope.values)


class ApiTokenQuerySet(models.QuerySet):
    def active(self, now=None) -> ApiTokenQuerySet:
        """Tokens neither revoked nor expired at ``now``."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True)
    secret_hash = models.CharField(max_length=64, unique=True)  # hex SHA-256 of the whole token
    scopes = models.JSONField(default=list)  # a subset of Scope values
    # Not limited: every matter the user is a member of (membership is still required).
    # Limited: only ``matters``; none left (all deleted) means none, never all.
    limited_to_matters = models.BooleanField(default=False)
    matters = models.ManyToManyField(Matter, blank=True, related_name="+")
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'unnamed'}) of {self.user}"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @cached_property
    def matter_ids(self) -> frozenset[int] | None:
        """The matters this token is limited to (possibly none, once they are deleted), or None
        when it is not limited."""
        if not self.limited_to_matters:
            return None
        return frozenset(self.matters.values_list("pk", flat=True))

    @property
    def state(self) -> str:
        if self.is_revoked:
            return "revoked"
        if self.is_expired():
            return "expired"
        return "active"
