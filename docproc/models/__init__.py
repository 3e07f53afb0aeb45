"""The ORM models: matters and who may see them, documents and what was derived from them, and
the audit log."""

from docproc.models.audit import AuditCheckpoint, AuditEvent
from docproc.models.documents import (
    Chunk,
    DeletionReceipt,
    Document,
    DocumentStatus,
    Page,
    Summary,
)
from docproc.models.jobs import Job, JobKind, JobStatus
from docproc.models.matters import Matter, Membership, Role
from docproc.models.tokens import ApiToken, Scope

__all__ = [
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "Chunk",
    "DeletionReceipt",
    "Document",
    "DocumentStatus",
    "Job",
    "JobKind",
    "JobStatus",
    "Matter",
    "Membership",
    "Page",
    "Role",
    "Scope",
    "Summary",
]
