"""Django admin for operators: matters and memberships are editable; documents, deletion
receipts and API tokens are read-only records (a token is made on the API tokens page or with
``manage.py create_api_token``, the only places its secret is ever shown, and revoked here
with an action that goes through ``services.tokens.revoke``, so it is audited). Deleting a
document here goes through ``services.documents.delete_document``, so its file, pages, chunks
and vectors go too and a receipt is written, exactly as from the API."""

from __future__ import annotations

from django.contrib import admin

from docproc.models import (
    ApiToken,
    AuditEvent,
    DeletionReceipt,
    Document,
    LegalHold,
    Matter,
    MatterDeletionReceipt,
    Membership,
    PracticeArea,
    Screen,
)
from docproc.services import audit, tokens
from docproc.services.documents import delete_document
from docproc.services.matter_deletion import delete_matter


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]
    fields = ["user", "role", "added_by", "created_at"]
    readonly_fields = ["added_by", "created_at"]


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin):
    """Closing, screens and holds have their own audited pages; here they are shown only.
    Deleting a matter goes through ``services.matter_deletion`` (receipts, holds honoured)."""

    list_display = ["slug", "name", "practice_area", "status", "created_at"]
    list_filter = ["status", "practice_area"]
    search_fields = ["slug", "name", "client_reference"]
    prepopulated_fields = {"slug": ["name"]}
    fields = [
        "slug",
        "name",
        "description",
        "client_reference",
        "practice_area",
        "retention_years",
        "status",
        "closed_at",
        "closed_by",
        "created_by",
        "created_at",
    ]
    readonly_fields = ["status", "closed_at", "closed_by", "created_by", "created_at"]
    inlines = [MembershipInline]

    def delete_model(self, request, obj: Matter) -> None:
        delete_matter(request.user, obj)

    def delete_queryset(self, request, queryset) -> None:
        for matter in queryset:
            delete_matter(request.user, matter)

    def save_formset(self, request, form, formset, change) -> None:
        """Memberships edited inline are audited like any other membership change."""
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        previous = {f.instance.pk: f.initial.get("role") for f in formset.initial_forms}
        super().save_formset(request, form, formset, change)
        for membership in formset.new_objects:
            audit.record_membership(request.user, membership, change="added", via="admin")
        for membership, changed in formset.changed_objects:
            audit.record_membership(
                request.user,
                membership,
                change="changed",
                previous_role=previous.get(membership.pk),
                via="admin",
                fields=changed,
            )
        for membership in formset.deleted_objects:
            audit.record_membership(request.user, membership, change="removed", via="admin")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["matter", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["matter__slug", "user__username"]
    autocomplete_fields = ["matter", "user"]
    readonly_fields = ["created_at"]

    def save_model(self, request, obj: Membership, form, change) -> None:
        previous_role = form.initial.get("role") if change else None
        super().save_model(request, obj, form, change)
        audit.record_membership(
            request.user,
            obj,
            change="changed" if change else "added",
            previous_role=previous_role,
            via="admin",
            fields=form.changed_data if change else [],
        )

    def delete_model(self, request, obj: Membership) -> None:
        audit.record_membership(request.user, obj, change="removed", via="admin")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for membership in queryset.select_related("matter", "user"):
            audit.record_membership(request.user, membership, change="removed", via="admin")
        super().delete_queryset(request, queryset)


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """View and delete only: documents are created by uploads (which store the bytes) and
    changed only by the pipeline."""

    # Break-glass by design: the admin is for superusers only, who see every matter's file
    # names here although they are members of none. They never see a document's text (no page,
    # chunk, summary or job is registered); tests/walls/matrix.py holds the admin to that.

    list_display = ["id", "filename", "matter", "status", "file_type", "page_count", "created_at"]
    list_filter = ["status", "file_type"]
    search_fields = ["filename", "sha256", "matter__slug"]
    list_select_related = ["matter"]
    fields = (
        "matter",
        "filename",
        "file_type",
        "size_bytes",
        "sha256",
        "status",
        "reason",
        "page_count",
        "chunk_count",
        "uploaded_by",
        "created_at",
        "updated_at",
        "indexed_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj: Document) -> None:
        delete_document(obj, request.user)

    def delete_queryset(self, request, queryset) -> None:
        for document in queryset.select_related("matter"):
            delete_document(document, request.user)


@admin.register(PracticeArea)
class PracticeAreaAdmin(admin.ModelAdmin):
    """Practice areas and their default retention (years after a matter closes)."""

    list_display = ["slug", "name", "default_retention_years"]
    prepopulated_fields = {"slug": ["name"]}


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records changed only through their audited services: shown, never edited here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Screen)
class ScreenAdmin(ReadOnlyAdmin):
    list_display = ["matter", "user", "reason", "created_by", "created_at", "lifted_at"]
    list_filter = ["lifted_at"]
    search_fields = ["matter__slug", "user__username"]


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin):
    list_display = ["id", "matter", "document", "reason", "placed_by", "placed_at", "released_at"]
    list_filter = ["released_at"]
    search_fields = ["matter__slug", "document__filename", "reason"]


@admin.register(MatterDeletionReceipt)
class MatterDeletionReceiptAdmin(ReadOnlyAdmin):
    list_display = ["id", "slug", "name", "reason", "deleted_by", "deleted_at"]
    search_fields = ["slug", "name"]


@admin.register(DeletionReceipt)
class DeletionReceiptAdmin(admin.ModelAdmin):
    """Receipts are evidence: nobody adds, edits or deletes them."""

    list_display = ["id", "filename", "matter", "document_id", "deleted_by", "deleted_at"]
    list_filter = ["matter"]
    search_fields = ["filename", "sha256", "document_id"]
    readonly_fields = [
        "matter",
        "document_id",
        "filename",
        "sha256",
        "pages_removed",
        "chunks_removed",
        "vectors_removed",
        "file_removed",
        "deleted_by",
        "deleted_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only: records are only added by ``services.audit.record`` and are
    never changed or removed (the audit console at /console/ filters and exports them)."""

    list_display = ["seq", "at", "actor_name", "action", "matter_slug", "target_type", "target_id"]
    list_filter = ["action"]
    search_fields = ["actor_name", "matter_slug", "request_id", "target_id"]
    date_hierarchy = "at"
    ordering = ["-seq"]
    fields = (
        "seq",
        "at",
        "actor",
        "actor_name",
        "action",
        "matter",
        "matter_slug",
        "target_type",
        "target_id",
        "client_address",
        "request_id",
        "details",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "scope_list", "matter_list", "expires_at", "state"]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["prefix", "name", "user__username"]
    fields = (
        "prefix",
        "name",
        "user",
        "scopes",
        "limited_to_matters",
        "matters",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )  # fmt: skip (never the secret's hash)
    readonly_fields = fields
    actions = ["revoke_tokens"]

    @admin.display(description="scopes")
    def scope_list(self, token: ApiToken) -> str:
        return ", ".join(token.scopes)

    @admin.display(description="matters")
    def matter_list(self, token: ApiToken) -> str:
        if not token.limited_to_matters:
            return "all of the user's"
        return ", ".join(token.matters.values_list("slug", flat=True)) or "none (deleted)"

    @admin.action(description="Revoke the selected tokens")
    def revoke_tokens(self, request, queryset) -> None:
        revoked = sum(tokens.revoke(token, actor=request.user) for token in queryset)
        self.message_user(request, f"{revoked} token(s) revoked.")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, not deleted: the audit log names it
