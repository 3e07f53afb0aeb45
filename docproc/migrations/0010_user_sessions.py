"""Each signed-in session of a user (UserSession: where and when, ended by whom or by idling),
and the audit action for ending one (session_end)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("docproc", "0009_matters_lifecycle"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
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
                    ("session_end", "Ended a signed-in session"),
                ],
                db_index=True,
                max_length=32,
            ),
        ),
        migrations.CreateModel(
            name="UserSession",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("session_key", models.CharField(max_length=40, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_seen_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("ip_address", models.CharField(blank=True, default="", max_length=64)),
                ("user_agent", models.CharField(blank=True, default="", max_length=300)),
                ("ended_at", models.DateTimeField(blank=True, null=True)),
                (
                    "end_reason",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("signed_out", "Signed out"),
                            ("ended", "Ended from another session"),
                            ("idle", "Unused for too long"),
                            ("expired", "Expired"),
                        ],
                        default="",
                        max_length=16,
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="docproc_sessions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-last_seen_at"],
                "indexes": [
                    models.Index(fields=["user", "ended_at"], name="usersession_user_open")
                ],
            },
        ),
    ]
