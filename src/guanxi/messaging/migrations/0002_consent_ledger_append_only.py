"""The consent ledger is append-only in the database too (PostgreSQL): a
trigger refuses every UPDATE and DELETE of a consent record. SQLite has no
such trigger here; the application refuses there (ConsentRecord, its queryset).
TRUNCATE (a test database being emptied) is not refused."""

from django.db import migrations

CREATE = """
CREATE FUNCTION messaging_consent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'consent records are append-only'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER messaging_consent_append_only
    BEFORE UPDATE OR DELETE ON messaging_consentrecord
    FOR EACH ROW EXECUTE FUNCTION messaging_consent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS messaging_consent_append_only ON messaging_consentrecord;
DROP FUNCTION IF EXISTS messaging_consent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
