"""Erasure of a customer's consent records (data-subject erasure, retention).

The append-only trigger (0002) lets a DELETE through while the transaction has
set ``guanxi.erasure`` to ``on`` (``messaging.erasure.ledger_erasure``); every
UPDATE and every other DELETE is still refused. The consent sources gain
``guardian``: consent a minor's guardian gave (PIPL art. 31).
"""

from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION messaging_consent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('guanxi.erasure', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'consent records are append-only'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""
RESTORE = """
CREATE OR REPLACE FUNCTION messaging_consent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'consent records are append-only'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RESTORE)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0007_bench")]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
