"""Audit checkpoints (one row per full verification of the chain) and, on PostgreSQL, TRUNCATE
refused on the audit log and the checkpoints: the row-level trigger of 0004 does not fire for
TRUNCATE, which would empty the log in one statement and leave a chain that verifies (it starts
again at record 1). Checkpoints are append-only like the log. SQLite has no TRUNCATE.

A superuser can still get past both (``session_replication_role = replica``, or dropping the
triggers); the head anchored outside the database (``services.audit.anchor``) shows that."""

from django.db import migrations, models

REFUSE_TRUNCATE = """
CREATE FUNCTION docproc_audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: TRUNCATE of % refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER docproc_auditevent_refuse_truncate
    BEFORE TRUNCATE ON docproc_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION docproc_audit_refuse_truncate();
CREATE TRIGGER docproc_auditcheckpoint_refuse_truncate
    BEFORE TRUNCATE ON docproc_auditcheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION docproc_audit_refuse_truncate();
CREATE FUNCTION docproc_auditcheckpoint_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit checkpoints are append-only: % of checkpoint % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER docproc_auditcheckpoint_append_only
    BEFORE UPDATE OR DELETE ON docproc_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION docproc_auditcheckpoint_append_only();
"""

DROP_REFUSE_TRUNCATE = """
DROP TRIGGER IF EXISTS docproc_auditcheckpoint_append_only ON docproc_auditcheckpoint;
DROP FUNCTION IF EXISTS docproc_auditcheckpoint_append_only();
DROP TRIGGER IF EXISTS docproc_auditcheckpoint_refuse_truncate ON docproc_auditcheckpoint;
DROP TRIGGER IF EXISTS docproc_auditevent_refuse_truncate ON docproc_auditevent;
DROP FUNCTION IF EXISTS docproc_audit_refuse_truncate();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # no placeholders: keep the % signs

    return run


class Migration(migrations.Migration):
    dependencies = [("docproc", "0006_contextual_headers")]

    operations = [
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveBigIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("verified_at", models.DateTimeField(db_index=True)),
                ("ok", models.BooleanField()),
                ("checked", models.PositiveBigIntegerField(default=0)),
                ("first_broken_seq", models.PositiveBigIntegerField(blank=True, null=True)),
                ("problem", models.TextField(blank=True, default="")),
            ],
            options={
                "ordering": ["-verified_at", "-pk"],
                "default_permissions": ("view",),
            },
        ),
        migrations.RunPython(
            _on_postgresql(REFUSE_TRUNCATE), _on_postgresql(DROP_REFUSE_TRUNCATE), elidable=False
        ),
    ]
