"""Small factories for the tags app's tests: scored runs, snapshots, orders."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from decimal import Decimal
from typing import Any

from guanxi.commerce.models import Order, OrderLine, Product
from guanxi.customers.models import Customer, Interaction
from guanxi.customers.services import customer_apply_contact
from guanxi.insights.models import ScoreRun, ScoreSnapshot

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def customer(**values: Any) -> Customer:
    values.setdefault("name", "张伟")
    values.setdefault("phone", f"+86137{next(_numbers):08d}")
    made = Customer(**values)
    customer_apply_contact(made)
    made.save()
    return made


def run(as_of: dt.date) -> ScoreRun:
    return ScoreRun.objects.create(as_of=as_of, status="done")


def snapshot(customer: Customer, as_of: dt.date, **values: Any) -> ScoreSnapshot:
    values.setdefault("stage", "growing")
    values.setdefault("quadrant", "basic")
    values.setdefault("emotion", "ordinary")
    return ScoreSnapshot.objects.create(customer=customer, as_of=as_of, **values)


def product(sku: str, category: str) -> Product:
    found, _ = Product.objects.get_or_create(
        sku=sku, defaults={"name": sku, "category": category}
    )
    return found


def order(
    customer: Customer,
    when: dt.datetime,
    *,
    lines: list[tuple[Product, int, str]],
    channel: str = "store",
    status: str = "paid",
) -> Order:
    """An order at ``when`` (local time, Asia/Shanghai) with ``(product,
    quantity, line amount)`` lines."""
    total = sum(Decimal(amount) for _p, _q, amount in lines)
    made = Order.objects.create(
        source="pos",
        external_id=f"T-{next(_numbers)}",
        customer=customer,
        ordered_at=when.replace(tzinfo=SHANGHAI) if when.tzinfo is None else when,
        amount=total,
        channel=channel,
        status=status,
    )
    for item, quantity, amount in lines:
        OrderLine.objects.create(
            order=made,
            product=item,
            quantity=quantity,
            unit_price=Decimal(amount) / quantity,
            amount=Decimal(amount),
        )
    return made


def interaction(customer: Customer, kind: str, when: dt.datetime) -> Interaction:
    return Interaction.objects.create(
        customer=customer,
        kind=kind,
        occurred_at=when.replace(tzinfo=SHANGHAI) if when.tzinfo is None else when,
    )
