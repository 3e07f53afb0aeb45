"""The ORM models: matters and who may see them, documents and what was derived from them."""

from docproc.models.audit import AuditEvent
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
