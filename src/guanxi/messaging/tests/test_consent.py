"""The consent ledger: append-only, current consent derived from it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from guanxi.core.errors import ValidationFailed
from guanxi.messaging.models import ConsentRecord, LedgerRefused
from guanxi.messaging.selectors import consent_current
from guanxi.messaging.services import consent_record

pytestmark = pytest.mark.django_db


def _record(
    customer: Any, granted: bool, *, at: dt.datetime | None = None, **kw: Any
) -> ConsentRecord:
    values = {
        "purpose": "marketing",
        "channel": "email",
        "source": "form",
        "notice_version": "2026-01",
    }
    values.update(kw)
    return consent_record(customer=customer, granted=granted, at=at, **values)


def test_current_consent_is_the_newest_statement(make_customer: Any) -> None:
    customer = make_customer()
    now = timezone.now()
    assert (
        consent_current(customer_id=customer.pk, purpose="marketing", channel="email")
        is False
    )
    _record(customer, True, at=now - dt.timedelta(days=3))
    assert (
        consent_current(customer_id=customer.pk, purpose="marketing", channel="email")
        is True
    )
    _record(customer, False, at=now - dt.timedelta(days=1), source="unsubscribe")
    assert (
        consent_current(customer_id=customer.pk, purpose="marketing", channel="email")
        is False
    )
    # Another channel and another purpose are their own.
    assert (
        consent_current(customer_id=customer.pk, purpose="marketing", channel="sms")
        is False
    )
    _record(customer, True, at=now, channel="sms")
    assert (
        consent_current(customer_id=customer.pk, purpose="marketing", channel="sms")
        is True
    )
    assert (
        consent_current(customer_id=customer.pk, purpose="marketing", channel="email")
        is False
    )
    assert ConsentRecord.objects.filter(customer=customer).count() == 3


def test_a_record_keeps_its_evidence(make_customer: Any, users: dict[str, Any]) -> None:
    customer = make_customer()
    record = _record(
        customer,
        True,
        source="staff",
        evidence="call 2026-12-01",
        actor=users["service"],
    )
    stored = ConsentRecord.objects.get(pk=record.pk)
    assert (
        stored.source,
        stored.evidence,
        stored.notice_version,
        stored.recorded_by,
    ) == (
        "staff",
        "call 2026-12-01",
        "2026-01",
        users["service"],
    )


def test_the_application_refuses_to_change_or_delete_a_record(
    make_customer: Any,
) -> None:
    customer = make_customer()
    record = _record(customer, True)
    record.granted = False
    with pytest.raises(LedgerRefused, match=r"^consent records are append-only$"):
        record.save()
    with pytest.raises(LedgerRefused):
        record.delete()
    with pytest.raises(LedgerRefused):
        ConsentRecord.objects.filter(pk=record.pk).update(granted=False)
    with pytest.raises(LedgerRefused):
        ConsentRecord.objects.filter(pk=record.pk).delete()
    assert list(ConsentRecord.objects.values_list("granted", flat=True)) == [True]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger is PostgreSQL's"
)
def test_postgresql_refuses_updates_and_deletes_itself(make_customer: Any) -> None:
    customer = make_customer()
    record = _record(customer, True)
    table = ConsentRecord._meta.db_table
    for sql in (
        f"UPDATE {table} SET granted = false WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="consent records are append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [record.pk])
    assert list(ConsentRecord.objects.values_list("granted", flat=True)) == [True]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"purpose": "spam"}, "Unknown purpose: 'spam'."),
        ({"channel": "fax"}, "Unknown consent channel: 'fax'."),
        ({"source": "rumour"}, "Unknown source: 'rumour'."),
        ({"notice_version": "  "}, "The notice version is required."),
        (
            {"notice_version": "v" * 33},
            "The notice version is longer than 32 characters.",
        ),
        ({"evidence": "e" * 201}, "The evidence is longer than 200 characters."),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    make_customer: Any, change: dict[str, Any], message: str
) -> None:
    customer = make_customer()
    with pytest.raises(ValidationFailed) as caught:
        _record(customer, True, **change)
    assert caught.value.message == message
    assert ConsentRecord.objects.count() == 0


def test_granted_must_be_a_boolean(make_customer: Any) -> None:
    customer = make_customer()
    with pytest.raises(ValidationFailed) as caught:
        _record(customer, "yes")  # type: ignore[arg-type]
    assert caught.value.message == "Granted must be true or false."
    assert ConsentRecord.objects.count() == 0
