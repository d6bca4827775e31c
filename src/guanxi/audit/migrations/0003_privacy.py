"""Audit actions of data-subject requests and retention; the retention purge
of entries older than three years.

The append-only trigger (0002) lets a DELETE through only while the
transaction has set ``guanxi.retention`` to ``on`` *and* the entry is more than
three years old: the database itself keeps every younger entry, whatever
the application does. Every UPDATE is still refused.
"""

from django.db import migrations, models

from guanxi.core.appendonly import on_postgresql, trigger_function_sql

FUNCTION = "audit_event_append_only"
MESSAGE = "audit events are append-only"
CREATE = trigger_function_sql(
    function=FUNCTION,
    message=MESSAGE,
    deletable_when=(
        "coalesce(current_setting('guanxi.retention', true), '') = 'on'\n"
        "       AND OLD.at < now() - interval '3 years'"
    ),
)
RESTORE = trigger_function_sql(function=FUNCTION, message=MESSAGE)


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
        on_postgresql(CREATE, RESTORE),
    ]
