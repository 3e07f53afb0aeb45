"""Each signed-in browser session of a user, so they can see where they are signed in and end
the sessions they do not recognise, and so a session unused for ``DOCPROC_SESSION_IDLE_SECONDS``
ends (``services.user_sessions``). Django's session store holds the session itself; this row
outlives it (with ``ended_at``) as a record of where and when a user was signed in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class EndReason(models.TextChoices):
    SIGNED_OUT = "signed_out", "Signed out"
    ENDED = "ended", "Ended from another session"
    IDLE = "idle", "Unused for too long"
    EXPIRED = "expired", "Expired"


class UserSession(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="docproc_sessions"
    )
    # Django's session key: never shown to anyone (it is the session's secret).
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ip_address = models.CharField(max_length=64, blank=True, default="")
    user_agent = models.CharField(max_length=300, blank=True, default="")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True, default="")

    class Meta:
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["user", "ended_at"], name="usersession_user_open")]

    def __str__(self) -> str:
        return f"session {self.pk} of user {self.user_id}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None
