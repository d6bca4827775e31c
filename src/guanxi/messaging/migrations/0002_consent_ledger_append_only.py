"""The consent ledger is append-only in the database too (PostgreSQL): a
trigger refuses every UPDATE and DELETE of a consent record. SQLite has no
such trigger here; the application refuses there (ConsentRecord, its queryset).
TRUNCATE (a test database being emptied) is not refused."""

from django.db import migrations

from guanxi.core.appendonly import (
    on_postgresql,
    trigger_drop_sql,
    trigger_function_sql,
    trigger_sql,
)

TABLE = "messaging_consentrecord"
FUNCTION = "messaging_consent_append_only"
MESSAGE = "consent records are append-only"
CREATE = trigger_function_sql(function=FUNCTION, message=MESSAGE) + trigger_sql(
    table=TABLE, function=FUNCTION
)
DROP = trigger_drop_sql(table=TABLE, function=FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [on_postgresql(CREATE, DROP)]
