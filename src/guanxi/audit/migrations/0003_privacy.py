"""Audit actions of data-subject requests and retention; the retention purge
of entries older than three years.

The append-only trigger (0002) lets a DELETE through only while the
transaction has set ``guanxi.retention`` to ``on`` *and* the entry is more than
three years old: the database itself keeps every younger entry, whatever
the application does. Every UPDATE is still refused.
"""

from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('guanxi.retention', true), '') = 'on'
       AND OLD.at < now() - interval '3 years' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""
RESTORE = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only'
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

    dependencies = [
        ('audit', '0002_audit_append_only'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('customer.viewed', "Viewed a customer's personal fields"), ('customer.edited', "Changed a customer's fields"), ('export', 'Exported data'), ('scope.assigned', "Changed a customer's account manager"), ('staff.added', 'Added a colleague'), ('staff.role', "Changed a colleague's role"), ('staff.deactivated', 'Deactivated a colleague'), ('staff.reactivated', 'Reactivated a colleague'), ('settings.changed', 'Changed settings'), ('consent.recorded', 'Recorded consent'), ('key.rotated', 'Rotated a key'), ('privacy.request', 'Opened or completed a data-subject request'), ('privacy.exported', "Exported a customer's personal data"), ('privacy.erased', 'Erased a customer'), ('retention.purged', 'Purged data past its retention')], max_length=32, verbose_name='action'),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
