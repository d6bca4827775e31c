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
        migrations.AlterField(
            model_name="consentrecord",
            name="source",
            field=models.CharField(
                choices=[
                    ("import", "Import"),
                    ("form", "Form"),
                    ("api", "API"),
                    ("staff", "Staff member"),
                    ("unsubscribe", "Unsubscribe link"),
                    ("complaint", "Spam complaint"),
                    ("guardian", "Guardian consent"),
                ],
                max_length=12,
                verbose_name="source",
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("no_consent", "No marketing consent for the channel"),
                    ("no_address", "No address for the channel"),
                    ("address_suppressed", "Address suppressed after a failure"),
                    ("frequency_cap", "Weekly marketing limit reached"),
                    ("minor", "Minor without guardian consent"),
                ],
                default="",
                max_length=24,
                verbose_name="reason",
            ),
        ),
    ]
