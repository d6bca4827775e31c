"""Small worlds for the playbook and trigger tests: customers who may get
marketing e-mail, scoring runs with chosen snapshots and stage changes,
orders, and who of a journey's entrants is held out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone
from tests.outbox import consent_set

from guanxi.commerce.services import LineInput, OrderInput, order_create
from guanxi.insights.models import ScoreRun, ScoreSnapshot, StageChange
from guanxi.journeys.holdout import holdout_basis_points, holdout_key
from guanxi.journeys.models import Journey
from guanxi.messaging.models import Message

#: A Wednesday: day 1 of every playbook test (time frozen at 10:00 local).
START = dt.date(2027, 3, 3)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(hour), tzinfo=timezone.get_current_timezone()
    )


def reachable(make_customer: Any, n: int, prefix: str, **values: Any) -> list[Any]:
    """``n`` customers with an e-mail address and marketing consent."""
    made = []
    for i in range(n):
        customer = make_customer(email=f"{prefix}{i}@example.com", **values)
        consent_set(customer, source="import")
        made.append(customer)
    return made


def not_held(slug: str, customers: Iterable[Any]) -> set[int]:
    """The customers a journey reaches (the rest are its holdout)."""
    journey = Journey.objects.get(slug=slug)
    key = holdout_key(journey.pk)
    return {
        c.pk
        for c in customers
        if holdout_basis_points(key, c.pk) >= journey.holdout_percent * 100
    }


def scoring(day: dt.date, rows: dict[int, dict[str, Any]]) -> None:
    """A finished scoring run as of ``day`` with a snapshot per customer."""
    ScoreRun.objects.create(as_of=day, status="done", customers=len(rows))
    ScoreSnapshot.objects.bulk_create(
        ScoreSnapshot(
            customer_id=pk,
            as_of=day,
            **{"quadrant": "basic", "stage": "mature", "emotion": "fan", **values},
        )
        for pk, values in rows.items()
    )


def stage_changes(day: dt.date, ids: Iterable[int], to_stage: str) -> None:
    StageChange.objects.bulk_create(
        StageChange(customer_id=pk, as_of=day, from_stage="mature", to_stage=to_stage)
        for pk in ids
    )


def buy(
    users: dict[str, Any],
    customer: Any,
    when: dt.datetime,
    *,
    amount: str = "120.00",
    skus: tuple[str, ...] = (),
    n: int = 1,
) -> None:
    order_create(
        actor=users["admin"],
        order=OrderInput(
            external_id=f"o{customer.pk}-{n}",
            customer_id=customer.pk,
            ordered_at=when,
            amount=Decimal(amount),
            lines=tuple(
                LineInput(
                    sku=sku,
                    quantity=1,
                    unit_price=Decimal(amount) / len(skus),
                    name=sku,
                )
                for sku in skus
            ),
        ),
    )


def sent(slug: str, step: str) -> dict[int, dict[str, str]]:
    """Customer → template values of the messages a journey's step queued
    (and that may have been sent since; not those suppressed)."""
    return {
        m.customer_id: m.template_values
        for m in Message.objects.filter(
            broadcast__audience=f"journey {slug} · {step}"
        ).exclude(status="suppressed")
    }
