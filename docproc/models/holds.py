"""Legal holds: while a hold is active on a matter or a document, nothing of it may be deleted
or purged, by anyone or anything (people, the API, commands, the retention task)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from docproc.models.documents import Document
from docproc.models.matters import Matter


class LegalHoldQuerySet(models.QuerySet):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(released_at__isnull=True)

    def covering(self, document: Document) -> LegalHoldQuerySet:
        """Active holds on ``document`` or on its matter."""
        return self.active().filter(Q(document=document) | Q(matter_id=document.matter_id))


class LegalHold(models.Model):
    """A hold on exactly one of a matter or a document: who placed it and why, who released
    it and why. Released holds are kept as history."""

    matter = models.ForeignKey(
        Matter, null=True, blank=True, on_delete=models.CASCADE, related_name="holds"
    )
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.CASCADE, related_name="holds"
    )
    reason = models.TextField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    release_reason = models.TextField(blank=True, default="")

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(matter__isnull=False) & Q(document__isnull=True))
                | (Q(matter__isnull=True) & Q(document__isnull=False)),
                name="hold_on_matter_or_document",
            ),
            models.UniqueConstraint(
                fields=["matter"],
                condition=Q(released_at__isnull=True, matter__isnull=False),
                name="one_active_hold_per_matter",
            ),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(released_at__isnull=True, document__isnull=False),
                name="one_active_hold_per_document",
            ),
        ]

    def __str__(self) -> str:
        return f"hold on {self.document or self.matter}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None

    @property
    def subject(self) -> str:
        """What is held, in words."""
        if self.document_id is not None:
            return f"document {self.document.filename if self.document else self.document_id}"
        return f"matter {self.matter.slug if self.matter else self.matter_id}"
