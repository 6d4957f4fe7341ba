from django.db import migrations

CREATE = """
CREATE TABLE IF NOT EXISTS b12clinic_audithead (
    id integer PRIMARY KEY CHECK (id = 1),
    prev varchar(64) NOT NULL,
    hash varchar(64) NOT NULL
);
INSERT INTO b12clinic_audithead (id, prev, hash)
SELECT 1, '', COALESCE(
    (SELECT hash FROM b12clinic_auditevent ORDER BY id DESC LIMIT 1), repeat('0', 64))
ON CONFLICT (id) DO NOTHING;
-- Emptying the table (a test database being flushed) starts the chain again from nothing.
CREATE OR REPLACE FUNCTION b12clinic_audit_head_reset() RETURNS trigger AS $$
BEGIN
    UPDATE b12clinic_audithead SET prev = '', hash = repeat('0', 64) WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS b12clinic_audit_head_reset ON b12clinic_auditevent;
CREATE TRIGGER b12clinic_audit_head_reset
    AFTER TRUNCATE ON b12clinic_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION b12clinic_audit_head_reset();
"""


def create(apps, schema_editor):
    # PostgreSQL appends an audit row in one statement that moves this one-row head
    # (b12clinic/audit.py); SQLite appends from Python under its single-writer lock.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS b12clinic_audit_head_reset ON b12clinic_auditevent; "
            "DROP FUNCTION IF EXISTS b12clinic_audit_head_reset(); "
            "DROP TABLE IF EXISTS b12clinic_audithead",
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [("b12clinic", "0008_audit_append_only")]

    operations = [migrations.RunPython(create, drop)]
