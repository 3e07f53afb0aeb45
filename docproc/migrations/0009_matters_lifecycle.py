"""Matters run the way a firm runs them: matter details, closing and retention, practice areas,
who added a member, ethical-wall screens, legal holds, and receipts that outlive a deleted
matter. Also makes the two groups an administrator grants: "Matter creators" (may create
matters) and "Compliance officers" (may screen users and review access)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Each group and its permissions (codename: name), on the Matter model.
GROUPS = {
    "Matter creators": {"add_matter": "Can add matter"},
    "Compliance officers": {
        "manage_screens": "Can screen users from matters (ethical walls)",
        "review_access": "Can review who can access matters and export the review",
    },
}


def backfill_receipt_slugs(apps, schema_editor):
    receipts = apps.get_model("docproc", "DeletionReceipt")
    for receipt in receipts.objects.filter(matter__isnull=False).select_related("matter"):
        receipts.objects.filter(pk=receipt.pk).update(matter_slug=receipt.matter.slug)


def make_groups(apps, schema_editor):
    # Django makes a model's permissions after migrating; these are made now (the same rows)
    # so that the groups can hold them.
    content_type, _ = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="docproc", model="matter"
    )
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, permissions in GROUPS.items():
        group, _ = group_model.objects.get_or_create(name=group_name)
        for codename, name in permissions.items():
            permission, _ = permission_model.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": name}
            )
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("docproc", "0008_processing_attempts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="PracticeArea",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.SlugField(unique=True)),
                ("name", models.CharField(max_length=100)),
                (
                    "default_retention_years",
                    models.PositiveSmallIntegerField(blank=True, null=True),
                ),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.AlterModelOptions(
            name="matter",
            options={
                "ordering": ["slug"],
                "permissions": [
                    ("manage_screens", "Can screen users from matters (ethical walls)"),
                    ("review_access", "Can review who can access matters and export the review"),
                ],
            },
        ),
        migrations.AddField(
            model_name="deletionreceipt",
            name="matter_slug",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
        migrations.AddField(
            model_name="deletionreceipt",
            name="reason",
            field=models.CharField(
                choices=[
                    ("deleted", "Deleted by a person"),
                    ("matter_deleted", "Deleted with its matter"),
                    ("retention", "Purged at the end of its retention period"),
                ],
                default="deleted",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="matter",
            name="client_reference",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
        migrations.AddField(
            model_name="matter",
            name="closed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="matter",
            name="closed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="matter",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="matter",
            name="description",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="matter",
            name="retention_years",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="matter",
            name="status",
            field=models.CharField(
                choices=[("open", "Open"), ("closed", "Closed")], default="open", max_length=10
            ),
        ),
        migrations.AddField(
            model_name="matter",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name="membership",
            name="added_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("sign_in", "Signed in"),
                    ("sign_in_failed", "Sign-in failed"),
                    ("sign_out", "Signed out"),
                    ("upload", "Uploaded a document"),
                    ("view_document", "Viewed a document"),
                    ("view_page", "Viewed a page"),
                    ("download", "Downloaded an original"),
                    ("search", "Searched"),
                    ("ask", "Asked a question"),
                    ("summary", "Summarised a document"),
                    ("extract", "Extracted fields"),
                    ("export", "Exported audit records"),
                    ("delete", "Deleted a document"),
                    ("membership_change", "Changed a membership"),
                    ("matter_change", "Created, edited, closed or reopened a matter"),
                    ("matter_delete", "Deleted a matter"),
                    ("screen_change", "Screened a user from a matter, or lifted a screen"),
                    ("hold_change", "Placed or released a legal hold"),
                    ("purge", "Purged documents past retention"),
                    ("access_review", "Reviewed or exported who can access matters"),
                    ("token_change", "Changed an API token"),
                    ("access_denied", "Was denied access"),
                    ("reprocess", "Queued a document again"),
                    ("password_supplied", "Supplied a document password"),
                ],
                db_index=True,
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="deletionreceipt",
            name="matter",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="deletion_receipts",
                to="docproc.matter",
            ),
        ),
        migrations.CreateModel(
            name="MatterDeletionReceipt",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("matter_id_removed", models.BigIntegerField()),
                ("slug", models.CharField(max_length=100)),
                ("name", models.CharField(max_length=200)),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("deleted", "Deleted by a person"),
                            ("matter_deleted", "Deleted with its matter"),
                            ("retention", "Purged at the end of its retention period"),
                        ],
                        max_length=20,
                    ),
                ),
                ("documents", models.JSONField(default=list)),
                ("index_removed", models.BooleanField(default=False)),
                ("deleted_at", models.DateTimeField(auto_now_add=True)),
                (
                    "deleted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-deleted_at", "-id"],
            },
        ),
        migrations.AddField(
            model_name="deletionreceipt",
            name="matter_receipt",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="document_receipts",
                to="docproc.matterdeletionreceipt",
            ),
        ),
        migrations.AddField(
            model_name="matter",
            name="practice_area",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="matters",
                to="docproc.practicearea",
            ),
        ),
        migrations.CreateModel(
            name="LegalHold",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reason", models.TextField()),
                ("placed_at", models.DateTimeField(auto_now_add=True)),
                ("released_at", models.DateTimeField(blank=True, null=True)),
                ("release_reason", models.TextField(blank=True, default="")),
                (
                    "document",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="holds",
                        to="docproc.document",
                    ),
                ),
                (
                    "matter",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="holds",
                        to="docproc.matter",
                    ),
                ),
                (
                    "placed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "released_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-placed_at", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("matter__isnull", False), ("document__isnull", True)),
                            models.Q(("matter__isnull", True), ("document__isnull", False)),
                            _connector="OR",
                        ),
                        name="hold_on_matter_or_document",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(
                            ("matter__isnull", False), ("released_at__isnull", True)
                        ),
                        fields=("matter",),
                        name="one_active_hold_per_matter",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(
                            ("document__isnull", False), ("released_at__isnull", True)
                        ),
                        fields=("document",),
                        name="one_active_hold_per_document",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Screen",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reason", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("lifted_at", models.DateTimeField(blank=True, null=True)),
                ("lift_reason", models.TextField(blank=True, default="")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "lifted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "matter",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="screens",
                        to="docproc.matter",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="screens",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("lifted_at__isnull", True)),
                        fields=("matter", "user"),
                        name="one_active_screen_per_user",
                    )
                ],
            },
        ),
        migrations.RunPython(backfill_receipt_slugs, migrations.RunPython.noop),
        migrations.RunPython(make_groups, migrations.RunPython.noop),
    ]
