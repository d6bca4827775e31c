"""The customers' kept purchase aggregates (total spend, orders, first and last
purchase) follow every writer of orders: the API's bulk path, the import
(new orders and status changes), the demo, and the repair command."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Min, Sum
from django.utils import translation

from guanxi.commerce.models import Order
from guanxi.commerce.selectors import PURCHASE_STATUSES
from guanxi.commerce.services import OrderInput, order_bulk_create
from guanxi.customers.models import Customer

WHEN = dt.datetime(2026, 10, 3, 4, 0, tzinfo=dt.UTC)


def _kept(customer: Any) -> tuple[Decimal, int, Any, Any]:
    c = Customer.objects.get(pk=customer.pk)
    return (c.purchase_total, c.purchase_count, c.first_purchase_at, c.last_purchase_at)


def _order(customer: Any, external_id: str, **extra: Any) -> OrderInput:
    values: dict[str, Any] = {
        "external_id": external_id,
        "customer_id": customer.pk,
        "ordered_at": WHEN,
        "amount": Decimal("99.00"),
        **extra,
    }
    return OrderInput(**values)


def _recomputed() -> dict[int, tuple[Decimal, int, Any, Any]]:
    """Every customer's figures computed over the orders, for comparison."""
    rows = (
        Order.objects.filter(status__in=PURCHASE_STATUSES)
        .values("customer_id")
        .annotate(
            total=Sum("amount"),
            n=Count("id"),
            first=Min("ordered_at"),
            last=Max("ordered_at"),
        )
    )
    found = {
        r["customer_id"]: (r["total"], r["n"], r["first"], r["last"]) for r in rows
    }
    return {
        pk: found.get(pk, (Decimal("0.00"), 0, None, None))
        for pk in Customer.objects.values_list("pk", flat=True)
    }


def _kept_all() -> dict[int, tuple[Decimal, int, Any, Any]]:
    return {
        c.pk: (
            c.purchase_total,
            c.purchase_count,
            c.first_purchase_at,
            c.last_purchase_at,
        )
        for c in Customer.objects.all()
    }


def test_a_new_customer_has_no_purchases(make_customer: Any) -> None:
    assert _kept(make_customer()) == (Decimal("0.00"), 0, None, None)


def test_orders_written_through_the_bulk_path_count_paid_ones_only(
    users: Any, make_customer: Any
) -> None:
    buyer = make_customer(assigned_manager=users["account_manager"])
    other = make_customer()
    later = WHEN + dt.timedelta(days=9)
    order_bulk_create(
        actor=users["admin"],
        orders=[
            _order(buyer, "A-1", amount=Decimal("100.10")),
            _order(buyer, "A-2", amount=Decimal("0.20"), ordered_at=later),
            _order(buyer, "A-3", amount=Decimal("5"), status="partially_refunded"),
            _order(buyer, "A-4", amount=Decimal("700"), status="refunded"),
            _order(buyer, "A-5", amount=Decimal("800"), status="pending"),
            _order(
                buyer,
                "A-6",
                amount=Decimal("900"),
                status="cancelled",
                ordered_at=later + dt.timedelta(days=1),
            ),
        ],
    )
    assert _kept(buyer) == (Decimal("105.30"), 3, WHEN, later)
    assert _kept(other) == (Decimal("0.00"), 0, None, None)
    # Recording the same orders again changes nothing.
    order_bulk_create(actor=users["admin"], orders=[_order(buyer, "A-1")])
    assert _kept(buyer) == (Decimal("105.30"), 3, WHEN, later)


def test_a_refused_bulk_leaves_the_figures_alone(
    users: Any, make_customer: Any
) -> None:
    from guanxi.commerce.services import OrdersRejected

    own = make_customer(assigned_manager=users["account_manager"])
    foreign = make_customer(assigned_manager=users["other_manager"])
    with pytest.raises(OrdersRejected):
        order_bulk_create(
            actor=users["account_manager"],
            orders=[_order(own, "B-1"), _order(foreign, "B-2")],
        )
    assert _kept(own) == (Decimal("0.00"), 0, None, None)


def test_the_demo_keeps_the_figures(db: Any) -> None:
    from guanxi.demo.generator import demo_fill

    demo_fill(customers=300, seed=3, progress=False, chunk_size=120)
    kept = _kept_all()
    assert kept == _recomputed()
    assert sum(1 for total, n, _f, _l in kept.values() if n > 0) > 100


def test_the_repair_command_recomputes_everyone(users: Any, make_customer: Any) -> None:
    buyer = make_customer()
    order_bulk_create(actor=users["admin"], orders=[_order(buyer, "C-1")])
    Customer.objects.filter(pk=buyer.pk).update(purchase_count=7, purchase_total=1)
    stray = make_customer()
    Customer.objects.filter(pk=stray.pk).update(purchase_count=2, last_purchase_at=WHEN)
    out = StringIO()
    with translation.override("en"):
        call_command("purchases", "refresh", stdout=out)
    assert _kept(buyer) == (Decimal("99.00"), 1, WHEN, WHEN)
    assert _kept(stray) == (Decimal("0.00"), 0, None, None)
    assert "recomputed for every customer" in out.getvalue()


def test_a_large_share_of_the_customers_is_refreshed_in_one_pass(
    users: Any, make_customer: Any, monkeypatch: Any
) -> None:
    """Past a chunk and a quarter of the customers, one pass over every order
    (the same figures, everyone's kept right)."""
    from guanxi.customers import bulk

    monkeypatch.setattr(bulk, "PURCHASE_REFRESH_CHUNK", 1)
    # Numbers of our choosing: PostgreSQL's sequences do not restart per test.
    a, b, untouched = (make_customer(pk=n) for n in (1, 2, 3))
    Customer.objects.filter(pk=untouched.pk).update(purchase_count=3)
    order_bulk_create(
        actor=users["admin"],
        orders=[_order(a, "D-1"), _order(b, "D-2", amount=Decimal("1.50"))],
    )
    assert _kept(a) == (Decimal("99.00"), 1, WHEN, WHEN)
    assert _kept(b) == (Decimal("1.50"), 1, WHEN, WHEN)
    assert _kept(untouched) == (Decimal("0.00"), 0, None, None)
