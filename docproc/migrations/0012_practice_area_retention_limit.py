"""A practice area's default retention is at most 100 years, like a matter's own."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("docproc", "0011_audit_last_access_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="practicearea",
            name="default_retention_years",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, validators=[django.core.validators.MaxValueValidator(100)]
            ),
        ),
    ]
