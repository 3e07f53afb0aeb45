"""The ORM models: matters and who may see them, documents and what was derived from them."""

from docproc.models.documents import (
    Chunk,
    DeletionReceipt,
    Document,
    DocumentStatus,
    Page,
    Summary,
)
from docproc.models.matters import Matter, Membership, Role

__all__ = [
    "Chunk",
    "DeletionReceipt",
    "Document",
    "DocumentStatus",
    "Matter",
    "Membership",
    "Page",
    "Role",
    "Summary",
]
