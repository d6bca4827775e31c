"""Erasure of a customer's consent records (data-subject erasure, retention).

The append-only trigger (0002) lets a DELETE through while the transaction has
set ``guanxi.erasure`` to ``on`` (``messaging.erasure.ledger_erasure``); every
UPDATE and every other DELETE is still refused. The consent sources gain
``guardian``: consent a minor's guardian gave (PIPL art. 31).
"""

from django.db import migrations, models

from guanxi.core.appendonly import on_postgresql, trigger_function_sql

FUNCTION = "messaging_consent_append_only"
MESSAGE = "consent records are append-only"
CREATE = trigger_function_sql(
    function=FUNCTION,
    message=MESSAGE,
    deletable_when="coalesce(current_setting('guanxi.erasure', true), '') = 'on'",
)
RESTORE = trigger_function_sql(function=FUNCTION, message=MESSAGE)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0007_bench")]

    operations = [
        on_postgresql(CREATE, RESTORE),
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
