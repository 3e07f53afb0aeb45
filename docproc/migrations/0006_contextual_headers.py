"""Contextual headers for search: a document's context (organisation, form, period, title) and
its vector, and each chunk's section context (heading, table column header). Existing rows
get them when their document is re-chunked (``manage.py reprocess`` or a new upload); until
then they are empty and search works as before."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("docproc", "0005_token_matter_limit")]

    operations = [
        migrations.AddField(
            model_name="document",
            name="context",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="document",
            name="context_embedding",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="chunk",
            name="context",
            field=models.TextField(blank=True, default=""),
        ),
    ]
