"""The audit log: one append-only, hash-chained record per security-relevant event.

Each record's ``hash`` is SHA-256 over a canonical JSON of its fields and ``prev_hash`` (the
previous record's hash), so altering a record breaks its own hash and removing one leaves a gap
in ``seq``; ``services.audit.verify_chain`` names the first broken link. On PostgreSQL a trigger
(migration 0003) refuses UPDATE and DELETE of rows, except the ``SET NULL`` of ``actor`` or
``matter`` when that user or matter is deleted. That is why those two links are not hashed:
``actor_name`` and ``matter_slug`` are, and they outlive the user and the matter.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from django.conf import settings
from django.db import models

GENESIS_HASH = "0" * 64


class Action(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_OUT = "sign_out", "Signed out"
    UPLOAD = "upload", "Uploaded a document"
    VIEW_DOCUMENT = "view_document", "Viewed a document"
    VIEW_PAGE = "view_page", "Viewed a page"
    DOWNLOAD = "download", "Downloaded an original"
    SEARCH = "search", "Searched"
    ASK = "ask", "Asked a question"
    SUMMARY = "summary", "Summarised a document"
    EXTRACT = "extract", "Extracted fields"
    EXPORT = "export", "Exported audit records"
    DELETE = "delete", "Deleted a document"
    MEMBERSHIP_CHANGE = "membership_change", "Changed a membership"
    MATTER_CHANGE = "matter_change", "Created, edited, closed or reopened a matter"
    MATTER_DELETE = "matter_delete", "Deleted a matter"
    SCREEN_CHANGE = "screen_change", "Screened a user from a matter, or lifted a screen"
    HOLD_CHANGE = "hold_change", "Placed or released a legal hold"
    PURGE = "purge", "Purged documents past retention"
    ACCESS_REVIEW = "access_review", "Reviewed or exported who can access matters"
    TOKEN_CHANGE = "token_change", "Changed an API token"
    ACCESS_DENIED = "access_denied", "Was denied access"
    REPROCESS = "reprocess", "Queued a document again"
    PASSWORD_SUPPLIED = "password_supplied", "Supplied a document password"
    SESSION_END = "session_end", "Ended a signed-in session"


def canonical_time(value) -> str:
    """``value`` in UTC with microseconds, the precision both databases keep."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the same text for the same data, always."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    actor_name = models.CharField(max_length=150, db_index=True)
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    matter = models.ForeignKey(
        "docproc.Matter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    matter_slug = models.CharField(max_length=100, blank=True, default="", db_index=True)
    target_type = models.CharField(max_length=50, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    client_address = models.CharField(max_length=64, blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        # Records are only ever added by services.audit.record and never changed or removed.
        default_permissions = ("view",)
        # A member's last access (the member list, the access review) is the latest record of
        # (matter, actor): read from this index, not the whole log, however long the log grows.
        indexes = [models.Index(fields=["matter", "actor", "at"], name="audit_matter_actor_at")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_name} {self.action}"

    def content(self) -> dict:
        """What the hash covers: every field but the id, the two nullable links and the hash."""
        return {
            "seq": self.seq,
            "at": canonical_time(self.at),
            "actor_name": self.actor_name,
            "action": self.action,
            "matter_slug": self.matter_slug,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "client_address": self.client_address,
            "request_id": self.request_id,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.content()).encode("utf-8")).hexdigest()


# The fields of a record as shown outside the database (API, console, exports), in order.
RECORD_FIELDS = [
    "seq",
    "at",
    "actor",
    "action",
    "matter",
    "target_type",
    "target_id",
    "client_address",
    "request_id",
    "details",
    "prev_hash",
    "hash",
]


class AuditCheckpoint(models.Model):
    """The outcome of one full verification of the chain (``manage.py verify_audit`` or the
    scheduled ``workers.tasks.verify_audit_chain``): up to which record (``seq``, ``hash``) the
    chain was found intact, or where it broke. The console verifies only the records after the
    newest intact checkpoint, instead of the whole chain on every page. Append-only on
    PostgreSQL like the log itself (migration 0007)."""

    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    verified_at = models.DateTimeField(db_index=True)
    ok = models.BooleanField()
    checked = models.PositiveBigIntegerField(default=0)
    first_broken_seq = models.PositiveBigIntegerField(null=True, blank=True)
    problem = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-verified_at", "-pk"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{'intact' if self.ok else 'broken'} through #{self.seq} at {self.verified_at}"
