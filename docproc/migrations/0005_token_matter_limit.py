"""A token limited to matters stays limited when those matters are deleted: the limit is its own
field, no longer inferred from a non-empty matter list (an emptied list meant "all matters")."""

from django.db import migrations, models


def mark_limited(apps, schema_editor):
    ApiToken = apps.get_model("docproc", "ApiToken")
    ApiToken.objects.filter(matters__isnull=False).update(limited_to_matters=True)


class Migration(migrations.Migration):
    dependencies = [("docproc", "0004_audit")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="limited_to_matters",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_limited, migrations.RunPython.noop),
    ]
