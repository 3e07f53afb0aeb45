"""Documents, their page text, their chunks (with vectors), and receipts of deletions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from docproc.models.matters import ROLE_RANK, Matter, Role, screened, token_matter_ids


class DocumentStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PARSING = "parsing", "Parsing"
    CHUNKING = "chunking", "Chunking"
    EMBEDDING = "embedding", "Embedding"
    INDEXED = "indexed", "Indexed"
    FAILED = "failed", "Failed"
    NEEDS_PASSWORD = "needs_password", "Needs password"


FINAL_STATUSES = frozenset(
    {DocumentStatus.INDEXED, DocumentStatus.FAILED, DocumentStatus.NEEDS_PASSWORD}
)


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user, min_role: str = Role.VIEWER) -> DocumentQuerySet:
        """Documents in matters where ``user`` holds at least ``min_role`` (and that the
        request's API token, if limited to matters, names)."""
        if user is None or not user.is_authenticated:
            return self.none()
        allowed = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[Role(min_role)]]
        documents = (
            self.filter(matter__memberships__user=user, matter__memberships__role__in=allowed)
            .exclude(screened(user, "matter_id"))
            .distinct()
        )
        limit = token_matter_ids(user)
        return documents if limit is None else documents.filter(matter_id__in=limit)


class Document(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="documents")
    sha256 = models.CharField(max_length=64)
    filename = models.CharField(max_length=255)
    file_type = models.CharField(max_length=16)
    size_bytes = models.BigIntegerField()
    status = models.CharField(
        max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.RECEIVED
    )
    reason = models.TextField(blank=True, default="")
    page_count = models.IntegerField(null=True, blank=True)
    chunk_count = models.IntegerField(null=True, blank=True)
    # What the document is (organisation, form, period, title, file name), derived from its
    # opening text: indexed with every chunk for search, never shown as document text.
    context = models.TextField(blank=True, default="")
    # The context's vector (same model as the chunks'), for document-aware dense search.
    context_embedding = models.BinaryField(null=True, blank=True)
    # A password supplied for an encrypted PDF, kept only until parsing has used it.
    pending_password = models.CharField(max_length=512, blank=True, default="")
    # How many times processing was restarted after an interruption (a worker killed mid-task,
    # work lost with the broker): services/sweeper.py fails the document past
    # DOCPROC_MAX_ATTEMPTS, so a file that crashes workers cannot loop for ever.
    attempts = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    indexed_at = models.DateTimeField(null=True, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "sha256"], name="one_document_per_content")
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class Page(models.Model):
    """The text of one page. Chunk and citation offsets index into ``text``, which never changes
    once written (re-parsing the same bytes yields the same text)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pages")
    number = models.IntegerField()
    text = models.TextField()
    source = models.CharField(max_length=8, default="text")  # text | ocr | none
    # Structural blocks as [kind, char_start, char_end] triples, so chunking can re-run from here.
    blocks = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="one_row_per_page")
        ]


class Chunk(models.Model):
    """A passage of one page, with its vector once embedded. The vector lives here too, so the
    FAISS index can always be rebuilt from the database without re-embedding."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    ordinal = models.IntegerField()
    page = models.IntegerField()
    char_start = models.IntegerField()
    char_end = models.IntegerField()
    text = models.TextField()
    token_count = models.IntegerField()
    # The heading the chunk falls under and, for a table row, the table's column header:
    # indexed for search, never shown or cited as document text.
    context = models.TextField(blank=True, default="")
    text_sha256 = models.CharField(max_length=64)
    embedding = models.BinaryField(null=True, blank=True)
    embedding_model = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["document", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["document", "ordinal"], name="one_row_per_chunk")
        ]
        indexes = [models.Index(fields=["document", "embedding_model"])]


class DeletionReason(models.TextChoices):
    DELETED = "deleted", "Deleted by a person"
    MATTER_DELETED = "matter_deleted", "Deleted with its matter"
    RETENTION = "retention", "Purged at the end of its retention period"


class MatterDeletionReceipt(models.Model):
    """Proof that a whole matter was removed: one line per document (the documents' own
    receipts point here), the index removed, by whom and why. Outlives the matter."""

    matter_id_removed = models.BigIntegerField()
    slug = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    reason = models.CharField(max_length=20, choices=DeletionReason.choices)
    documents = models.JSONField(default=list)  # [{document_id, filename, sha256, counts...}]
    index_removed = models.BooleanField(default=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-deleted_at", "-id"]


class DeletionReceipt(models.Model):
    """Proof that a document and everything derived from it were removed, by whom and why.
    Outlives the document and its matter (``matter_slug`` names it then)."""

    matter = models.ForeignKey(
        Matter,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deletion_receipts",
    )
    matter_slug = models.CharField(max_length=100, blank=True, default="")
    reason = models.CharField(
        max_length=20, choices=DeletionReason.choices, default=DeletionReason.DELETED
    )
    matter_receipt = models.ForeignKey(
        MatterDeletionReceipt,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="document_receipts",
    )
    document_id = models.BigIntegerField()
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    pages_removed = models.IntegerField()
    chunks_removed = models.IntegerField()
    vectors_removed = models.IntegerField()
    file_removed = models.BooleanField()
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    deleted_at = models.DateTimeField(auto_now_add=True)


class Summary(models.Model):
    """A document's summary, cached per document, model and prompt version (a summary of the
    same text by the same model with the same prompt is the same work)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="summaries")
    model = models.CharField(max_length=200)
    prompt_version = models.CharField(max_length=32)
    result = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "model", "prompt_version"], name="one_summary_per_model"
            )
        ]
