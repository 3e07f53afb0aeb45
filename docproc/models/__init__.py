"""The ORM models: matters and who may see them, documents and what was derived from them, and
the audit log."""

from docproc.models.audit import AuditCheckpoint, AuditEvent
from docproc.models.documents import (
    Chunk,
    DeletionReason,
    DeletionReceipt,
    Document,
    DocumentStatus,
    MatterDeletionReceipt,
    Page,
    Summary,
)
from docproc.models.holds import LegalHold
from docproc.models.jobs import Job, JobKind, JobStatus
from docproc.models.matters import Matter, MatterStatus, Membership, PracticeArea, Role, Screen
from docproc.models.sessions import EndReason, UserSession
from docproc.models.tokens import ApiToken, Scope

__all__ = [
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "Chunk",
    "DeletionReason",
    "DeletionReceipt",
    "Document",
    "DocumentStatus",
    "EndReason",
    "Job",
    "JobKind",
    "JobStatus",
    "LegalHold",
    "Matter",
    "MatterDeletionReceipt",
    "MatterStatus",
    "Membership",
    "Page",
    "PracticeArea",
    "Role",
    "Scope",
    "Screen",
    "Summary",
    "UserSession",
]
