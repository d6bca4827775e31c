"""The audit log is append-only in the database too (PostgreSQL): a trigger
refuses every UPDATE and DELETE of an audit event, whoever connects. SQLite
has no such trigger here; the application refuses there (AuditEvent, its
queryset). TRUNCATE (a test database being emptied) is not refused."""

from django.db import migrations

from guanxi.core.appendonly import (
    on_postgresql,
    trigger_drop_sql,
    trigger_function_sql,
    trigger_sql,
)

TABLE = "audit_auditevent"
FUNCTION = "audit_event_append_only"
MESSAGE = "audit events are append-only"
CREATE = trigger_function_sql(function=FUNCTION, message=MESSAGE) + trigger_sql(
    table=TABLE, function=FUNCTION
)
DROP = trigger_drop_sql(table=TABLE, function=FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [on_postgresql(CREATE, DROP)]
