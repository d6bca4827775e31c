"""The audit log and the consent ledger are append-only by one mechanism
(``guanxi.core.appendonly``), each refusing with its own exception and
message, in the application and (PostgreSQL) by the same trigger SQL."""

from __future__ import annotations

from typing import Any

import pytest
from tests.outbox import consent_set

from guanxi.audit.models import AuditEvent, AuditRefused
from guanxi.audit.services import record
from guanxi.core.appendonly import (
    AppendOnlyModel,
    AppendOnlyRefused,
    trigger_function_sql,
)
from guanxi.messaging.models import ConsentRecord, LedgerRefused

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model", "error", "message"),
    [
        (AuditEvent, AuditRefused, "audit events are append-only"),
        (ConsentRecord, LedgerRefused, "consent records are append-only"),
    ],
)
def test_both_tables_refuse_changes_through_the_shared_guard(
    model: Any, error: type[Exception], message: str, make_customer: Any
) -> None:
    customer = make_customer()
    record(action="settings.changed", actor=None, details={"fields": ["x"]})
    consent_set(customer, source="staff")
    assert issubclass(model, AppendOnlyModel) and issubclass(error, AppendOnlyRefused)
    row = model.objects.order_by("pk").first()
    before = model.objects.count()
    for attempt in (
        lambda: model.objects.update(pk=row.pk),
        lambda: model.objects.all().delete(),
        lambda: model.objects.bulk_update([row], ["pk"]),
        lambda: model.objects.update_or_create(pk=row.pk),
        row.save,
        row.delete,
    ):
        with pytest.raises(error, match=f"^{message}$"):
            attempt()
    assert model.objects.count() == before


def test_the_trigger_lets_a_delete_through_only_where_told() -> None:
    plain = trigger_function_sql(function="f", message="m")
    assert "IF TG_OP" not in plain and "RAISE EXCEPTION 'm'" in plain
    guarded = trigger_function_sql(function="f", message="m", deletable_when="X")
    assert "IF TG_OP = 'DELETE'\n       AND X THEN\n        RETURN OLD;" in guarded
