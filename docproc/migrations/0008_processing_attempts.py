"""How many times a document's processing or a job was restarted after an interruption, so the
sweeper (services/sweeper.py) can fail one that keeps crashing instead of retrying it for ever.
Existing rows start at zero."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("docproc", "0007_audit_checkpoints")]

    operations = [
        migrations.AddField(
            model_name="document",
            name="attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="job",
            name="attempts",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
