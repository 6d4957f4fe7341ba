from django.db import migrations

from b12clinic.core.roles import grant_permissions

TRIGGER = """
CREATE OR REPLACE FUNCTION b12clinic_audit_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS b12clinic_audit_append_only ON b12clinic_auditevent;
CREATE TRIGGER b12clinic_audit_append_only
    BEFORE UPDATE OR DELETE ON b12clinic_auditevent
    FOR EACH ROW EXECUTE FUNCTION b12clinic_audit_refuse();
"""
DROP = """
DROP TRIGGER IF EXISTS b12clinic_audit_append_only ON b12clinic_auditevent;
DROP FUNCTION IF EXISTS b12clinic_audit_refuse();
"""


def add_trigger(apps, schema_editor):
    # PostgreSQL refuses UPDATE and DELETE itself, whatever the client; elsewhere (SQLite in
    # development) the model and its query set refuse them.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


def grant(apps, schema_editor):
    grant_permissions(apps, {"clinic_admin": ["b12clinic.view_auditevent"]})


class Migration(migrations.Migration):
    dependencies = [("b12clinic", "0007_audit_trail")]

    operations = [
        migrations.RunPython(add_trigger, drop_trigger),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
