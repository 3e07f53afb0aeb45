"""Request and response bodies of the matter lifecycle API: creating and editing a matter, its
members, legal holds, screens and the receipt of a deleted matter. Shape and types only: what a
value means (a known practice area, a free reference, an existing user) the services decide."""

from __future__ import annotations

from rest_framework import serializers

from docproc.models import LegalHold, MatterDeletionReceipt, Role, Screen
from docproc.services.matters import EDITABLE_FIELDS, MAX_DESCRIPTION, MAX_RETENTION_YEARS


class MatterFieldsSerializer(serializers.Serializer):
    """The fields a manager may set (all optional: a PATCH sends those it changes)."""

    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION, required=False, allow_blank=True
    )
    client_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    practice_area = serializers.CharField(
        max_length=50,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="A practice area's slug (its default retention applies); null for none.",
    )
    retention_years = serializers.IntegerField(
        min_value=0,
        max_value=MAX_RETENTION_YEARS,
        required=False,
        allow_null=True,
        help_text="Years after closing that documents are kept; null: the practice area's.",
    )


class MatterCreateSerializer(MatterFieldsSerializer):
    """``POST matters/``: a reference (slug, fixed for ever) and a name, the rest optional."""

    slug = serializers.CharField(
        max_length=100,
        help_text="The matter's reference: lowercase letters, digits and hyphens. Cannot change.",
    )
    name = serializers.CharField(max_length=200)

    def validate(self, attrs):
        sent = set(self.initial_data) if isinstance(self.initial_data, dict) else set()
        unknown = sorted(sent - set(EDITABLE_FIELDS) - {"slug"})
        if unknown:  # e.g. "status" or a misspelt field: said, not silently dropped
            raise serializers.ValidationError(
                {
                    name: ["Unknown field: a new matter takes slug, " + ", ".join(EDITABLE_FIELDS)]
                    for name in unknown
                }
            )
        return attrs


class MatterUpdateSerializer(MatterFieldsSerializer):
    """``PATCH matters/{id}/``: only ``EDITABLE_FIELDS``; the reference never changes."""

    def validate(self, attrs):
        sent = set(self.initial_data) if isinstance(self.initial_data, dict) else set()
        if "slug" in sent:
            raise serializers.ValidationError(
                {"slug": ["A matter's reference (slug) cannot be changed once it is made."]}
            )
        fixed = sorted(sent - set(EDITABLE_FIELDS))
        if fixed:
            raise serializers.ValidationError(
                {name: ["This field cannot be changed."] for name in fixed}
            )
        if not attrs:
            raise serializers.ValidationError(
                f"Send at least one of: {', '.join(EDITABLE_FIELDS)}."
            )
        return attrs


class ReasonSerializer(serializers.Serializer):
    """An optional reason, recorded in the audit log."""

    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RequiredReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why: recorded in the audit log.")


class MemberSerializer(serializers.Serializer):
    """One row of ``memberships.members()``."""

    username = serializers.CharField()
    full_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    added_by = serializers.CharField(allow_null=True)
    added_at = serializers.DateTimeField()
    last_access = serializers.DateTimeField(
        allow_null=True, help_text="The member's latest audited action in the matter."
    )


class MemberListSerializer(serializers.Serializer):
    members = MemberSerializer(many=True)


class AddMemberSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="An existing, active user.")
    role = serializers.ChoiceField(choices=Role.choices)


class ChangeRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class HoldSerializer(serializers.ModelSerializer):
    """A legal hold on a matter or on one document."""

    on = serializers.SerializerMethodField(help_text="matter or document")
    placed_by = serializers.CharField(
        source="placed_by.username", default=None, allow_null=True, read_only=True
    )
    released_by = serializers.CharField(
        source="released_by.username", default=None, allow_null=True, read_only=True
    )
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = LegalHold
        fields = [
            "id",
            "on",
            "matter",
            "document",
            "reason",
            "placed_by",
            "placed_at",
            "active",
            "released_by",
            "released_at",
            "release_reason",
        ]
        read_only_fields = fields

    def get_on(self, hold: LegalHold) -> str:
        return "document" if hold.document_id is not None else "matter"


class ScreenSerializer(serializers.ModelSerializer):
    """An ethical-wall screen, active or lifted (kept as history)."""

    username = serializers.CharField(source="user.username", read_only=True)
    created_by = serializers.CharField(
        source="created_by.username", default=None, allow_null=True, read_only=True
    )
    lifted_by = serializers.CharField(
        source="lifted_by.username", default=None, allow_null=True, read_only=True
    )
    active = serializers.SerializerMethodField()

    class Meta:
        model = Screen
        fields = [
            "id",
            "matter",
            "username",
            "reason",
            "created_by",
            "created_at",
            "active",
            "lifted_by",
            "lifted_at",
            "lift_reason",
        ]
        read_only_fields = fields

    def get_active(self, screen: Screen) -> bool:
        return screen.lifted_at is None


class ScreenListSerializer(serializers.Serializer):
    screens = ScreenSerializer(many=True)


class PlaceScreenSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    reason = serializers.CharField(max_length=2000, help_text="The conflict, in words.")


class MatterDeletionReceiptSerializer(serializers.ModelSerializer):
    """Proof a whole matter was removed: one line per document (each also has its own
    receipt), whether its index was removed, by whom."""

    matter = serializers.IntegerField(source="matter_id_removed", read_only=True)
    deleted_by = serializers.CharField(
        source="deleted_by.username", default=None, allow_null=True, read_only=True
    )
    documents = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = MatterDeletionReceipt
        fields = [
            "id",
            "matter",
            "slug",
            "name",
            "reason",
            "documents",
            "index_removed",
            "deleted_by",
            "deleted_at",
        ]
        read_only_fields = fields
