"""The audit log itself: append-only (in the application and, on PostgreSQL,
in the database), details that refuse personal values, the retention cutoff."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from guanxi.audit.choices import AuditAction
from guanxi.audit.models import AuditEvent, AuditRefused
from guanxi.audit.selectors import (
    audit_events_past_retention,
    audit_retention_cutoff,
)
from guanxi.audit.services import filter_names, record

pytestmark = pytest.mark.django_db


def _event(users: dict[str, Any], **values: Any) -> AuditEvent:
    return record(
        action=AuditAction.CUSTOMER_VIEWED,
        actor=users["service"],
        customer_id=7,
        object_type="customer",
        object_id=7,
        details={"via": "web"},
        **values,
    )


def test_an_event_holds_who_with_the_role_of_the_time(users: dict[str, Any]) -> None:
    event = _event(users)
    stored = AuditEvent.objects.get()
    assert (
        stored.actor,
        stored.actor_label,
        stored.role,
        stored.action,
        stored.customer_id,
        stored.object_type,
        stored.object_id,
        stored.details,
    ) == (
        users["service"],
        "service",
        "service",
        "customer.viewed",
        7,
        "customer",
        "7",
        {"via": "web"},
    )
    assert stored.pk == event.pk


def test_the_system_is_an_actor_without_a_user() -> None:
    event = record(action=AuditAction.KEY_ROTATED, actor=None)
    assert (event.actor_id, event.actor_label, event.role) == (None, "", "")


def test_the_application_refuses_to_change_or_delete_an_event(
    users: dict[str, Any],
) -> None:
    event = _event(users)
    event.customer_id = 8
    with pytest.raises(AuditRefused, match=r"^audit events are append-only$"):
        event.save()
    with pytest.raises(AuditRefused):
        event.delete()
    with pytest.raises(AuditRefused):
        AuditEvent.objects.filter(pk=event.pk).update(customer_id=8)
    with pytest.raises(AuditRefused):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditRefused):
        AuditEvent.objects.bulk_update([event], ["customer_id"])
    assert list(AuditEvent.objects.values_list("customer_id", flat=True)) == [7]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger is PostgreSQL's"
)
def test_postgresql_refuses_updates_and_deletes_itself(users: dict[str, Any]) -> None:
    event = _event(users)
    table = AuditEvent._meta.db_table
    for sql in (
        f"UPDATE {table} SET customer_id = 8 WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="audit events are append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert list(AuditEvent.objects.values_list("customer_id", flat=True)) == [7]


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"phone": "13800138000"}, "audit details may not hold 'phone'"),
        ({"name": "张伟"}, "audit details may not hold 'name'"),
        (
            {"fields": ["zhang.wei@example.com"]},
            "audit detail 'fields' must be a number or a short code",
        ),
        ({"via": "张伟"}, "audit detail 'via' must be a number or a short code"),
        (
            {"via": "上海市徐汇区中山路1号"},
            "audit detail 'via' must be a number or a short code",
        ),
        ({"rows": 1.5}, "audit detail 'rows' must be a number or a short code"),
    ],
)
def test_details_refuse_anything_but_known_keys_and_codes(
    users: dict[str, Any], details: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        record(action=AuditAction.EXPORTED, actor=users["admin"], details=details)
    assert AuditEvent.objects.count() == 0


def test_filter_names_keep_the_names_never_the_values() -> None:
    query = "q=13800138000&city=%E4%B8%8A%E6%B5%B7&tag=&after=WzJd&ids=1&ids=2"
    assert filter_names(query) == ["city", "ids", "q"]


def test_an_unknown_action_is_refused(users: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        record(action="customer.peeked", actor=users["admin"])
    assert AuditEvent.objects.count() == 0


def test_retention_keeps_three_calendar_years() -> None:
    now = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
    assert audit_retention_cutoff(now=now) == dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)
    leap = dt.datetime(2028, 2, 29, 9, 0, tzinfo=dt.UTC)
    assert audit_retention_cutoff(now=leap) == dt.datetime(
        2025, 2, 28, 9, tzinfo=dt.UTC
    )


def test_past_retention_selects_only_entries_older_than_three_years(
    users: dict[str, Any],
) -> None:
    now = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
    for at in (
        dt.datetime(2024, 2, 29, 9, 0, tzinfo=dt.UTC),  # older: may go
        dt.datetime(2024, 3, 1, 8, 59, tzinfo=dt.UTC),  # older: may go
        dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC),  # exactly 3 years: kept
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    ):
        AuditEvent.objects.create(action=AuditAction.EXPORTED, at=at)
    gone = list(audit_events_past_retention(now=now).values_list("at", flat=True))
    assert gone == [
        dt.datetime(2024, 2, 29, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 1, 8, 59, tzinfo=dt.UTC),
    ]
