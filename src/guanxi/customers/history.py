"""The record of changes to customers that the timeline shows: who changed
which fields when, and who became the account manager. Values are never
kept here (the personal ones are encrypted on the customer; an old phone
number in clear in a history table would undo that)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from guanxi.customers.choices import CustomerChangeKind
from guanxi.customers.models import Customer, CustomerChange

__all__ = ["changed_fields", "customer_change_list", "customer_change_record"]

#: The order fields are named in on the timeline.
FIELD_ORDER = (
    "name",
    "phone",
    "email",
    "address",
    "birthday",
    "gender",
    "city",
    "preferred_channel",
    "language",
    "time_zone",
    "assigned_manager",
)


def _comparable(value: Any) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if hasattr(value, "pk"):
        return value.pk
    return value


def changed_fields(customer: Customer, values: dict[str, Any]) -> list[str]:
    """The fields whose value in ``values`` differs from ``customer``'s, in
    :data:`FIELD_ORDER`."""
    changed = {
        field
        for field, value in values.items()
        if _comparable(getattr(customer, field)) != _comparable(value)
    }
    return [f for f in FIELD_ORDER if f in changed]


def customer_change_record(
    *,
    customer: Customer,
    actor: Any,
    kind: CustomerChangeKind,
    fields: Iterable[str] = (),
    manager: Any = None,
) -> CustomerChange:
    """Write one timeline entry (called by the customers services)."""
    return CustomerChange.objects.create(
        customer=customer,
        kind=kind,
        fields=list(fields),
        actor=actor if getattr(actor, "pk", None) else None,
        manager=manager,
    )


def customer_change_list(*, customer_id: int) -> QuerySet[CustomerChange]:
    """The changes of one customer, newest first (the caller checked scope)."""
    return (
        CustomerChange.objects.filter(customer_id=customer_id)
        .select_related("actor", "manager")
        .order_by("-changed_at", "-id")
    )
