"""An index on the audit log by (matter, actor, time): a member's last access, read by the member
list and the access review, stays a short index read however long the log grows."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("docproc", "0010_user_sessions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["matter", "actor", "at"], name="audit_matter_actor_at"),
        ),
    ]
