"""Order writes called directly: what reaches the tables, in whose transaction,
under which ids (the API's tests cover the answers and messages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import translation

from guanxi.commerce.models import Order, OrderLine, Product
from guanxi.commerce.services import (
    ItemError,
    LineInput,
    OrderInput,
    OrdersRejected,
    order_bulk_create,
)

WHEN = dt.datetime(2026, 10, 3, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(users: dict[str, Any], make_customer: Any) -> dict[str, Any]:
    Product.objects.create(sku="TEA-001", name="龙井", category="green tea")
    return {
        "own": make_customer(name="王芳", assigned_manager=users["account_manager"]),
        "foreign": make_customer(name="李雷", assigned_manager=users["other_manager"]),
    }


def _order(customer: Any, external_id: str, **extra: Any) -> OrderInput:
    values: dict[str, Any] = {
        "external_id": external_id,
        "customer_id": customer.pk,
        "ordered_at": WHEN,
        "amount": Decimal("99.00"),
        **extra,
    }
    return OrderInput(**values)


def _counts() -> tuple[int, int, int]:
    return Order.objects.count(), OrderLine.objects.count(), Product.objects.count()


def test_orders_of_several_sources_and_their_lines_are_stored_as_given(
    users: Any, world: Any
) -> None:
    own, foreign = world["own"], world["foreign"]
    orders = [
        _order(
            own,
            "E-1",
            source="eshop",
            amount=Decimal("1299.50"),
            currency="USD",
            store="西湖店",
            channel="wechat",
            status="pending",
            lines=(
                LineInput("TEA-001", 1, Decimal("999.50")),
                LineInput("CUP-9", 3, Decimal("100.00"), name="青瓷杯"),
            ),
        ),
        _order(
            foreign, "P-1", source="pos", lines=(LineInput("CUP-9", 1, Decimal("99")),)
        ),
        _order(own, "E-2", source="eshop"),
    ]
    before = dt.datetime.now(dt.UTC)
    results = order_bulk_create(actor=users["admin"], orders=orders)
    assert [(o.source, o.external_id, created) for o, created in results] == [
        ("eshop", "E-1", True),
        ("pos", "P-1", True),
        ("eshop", "E-2", True),
    ]
    ids = [o.pk for o, _created in results]
    stored = list(
        Order.objects.filter(pk__in=ids)
        .order_by("external_id")
        .values_list(
            "pk",
            "source",
            "external_id",
            "customer_id",
            "ordered_at",
            "amount",
            "currency",
            "store",
            "channel",
            "status",
        )
    )
    assert stored == [
        (
            ids[0],
            "eshop",
            "E-1",
            own.pk,
            WHEN,
            Decimal("1299.50"),
            "USD",
            "西湖店",
            "wechat",
            "pending",
        ),
        (ids[2], "eshop", "E-2", own.pk, WHEN, Decimal("99.00"), "CNY", "", "", "paid"),
        (
            ids[1],
            "pos",
            "P-1",
            foreign.pk,
            WHEN,
            Decimal("99.00"),
            "CNY",
            "",
            "",
            "paid",
        ),
    ]
    assert all(
        before <= created <= dt.datetime.now(dt.UTC)
        for created in Order.objects.values_list("created_at", flat=True)
    )
    lines = list(
        OrderLine.objects.order_by("order_id", "product__sku").values_list(
            "order_id",
            "product__sku",
            "product__name",
            "quantity",
            "unit_price",
            "amount",
        )
    )
    assert lines == [
        (ids[0], "CUP-9", "青瓷杯", 3, Decimal("100.00"), Decimal("300.00")),
        (ids[0], "TEA-001", "龙井", 1, Decimal("999.50"), Decimal("999.50")),
        (ids[1], "CUP-9", "青瓷杯", 1, Decimal("99.00"), Decimal("99.00")),
    ]
    # One new product, named once, shared by both orders that name it.
    assert Product.objects.filter(sku="CUP-9").count() == 1
    # The answer shows what a read gives.
    answered = results[0][0]
    assert [
        (line.product.sku, line.product.name, line.amount)
        for line in answered.lines.all()
    ] == [
        ("TEA-001", "龙井", Decimal("999.50")),
        ("CUP-9", "青瓷杯", Decimal("300.00")),
    ]


def test_ids_written_by_the_bulk_path_leave_the_next_ids_free(
    users: Any, world: Any
) -> None:
    results = order_bulk_create(
        actor=users["admin"],
        orders=[
            _order(
                world["own"], f"N-{n}", lines=(LineInput("TEA-001", 1, Decimal("5")),)
            )
            for n in range(3)
        ],
    )
    highest = max(o.pk for o, _created in results)
    after = Order.objects.create(
        source="manual",
        external_id="later",
        customer=world["own"],
        ordered_at=WHEN,
        amount=Decimal("1.00"),
    )
    assert after.pk > highest
    line = OrderLine.objects.create(
        order=after,
        product=Product.objects.get(sku="TEA-001"),
        unit_price=Decimal("1.00"),
        amount=Decimal("1.00"),
    )
    assert line.pk > max(
        OrderLine.objects.exclude(pk=line.pk).values_list("pk", flat=True)
    )


def test_writes_belong_to_the_callers_transaction(users: Any, world: Any) -> None:
    counts = _counts()
    with pytest.raises(RuntimeError), transaction.atomic():
        order_bulk_create(
            actor=users["admin"],
            orders=[
                _order(
                    world["own"],
                    "T-1",
                    lines=(LineInput("NEW-1", 2, Decimal("3"), name="新品"),),
                )
            ],
        )
        assert Order.objects.filter(external_id="T-1").exists()
        raise RuntimeError("the caller changes its mind")
    assert _counts() == counts


def test_an_order_outside_scope_or_refused_by_the_caller_writes_nothing(
    users: Any, world: Any
) -> None:
    counts = _counts()
    with translation.override("en"), pytest.raises(OrdersRejected) as rejected:
        order_bulk_create(
            actor=users["account_manager"],
            orders=[_order(world["own"], "S-1"), _order(world["foreign"], "S-2")],
        )
    assert rejected.value.errors == [ItemError(1, "customer", "unknown customer")]
    with pytest.raises(OrdersRejected) as rejected:
        order_bulk_create(
            actor=users["account_manager"], orders=[_order(world["own"], "S-1"), None]
        )
    assert rejected.value.errors == []
    assert _counts() == counts


def test_a_recorded_order_comes_back_unchanged(users: Any, world: Any) -> None:
    first = order_bulk_create(
        actor=users["admin"],
        orders=[
            _order(world["own"], "R-1", lines=(LineInput("TEA-001", 2, Decimal("10")),))
        ],
    )
    counts = _counts()
    again = order_bulk_create(
        actor=users["admin"],
        orders=[
            _order(world["own"], "R-1", amount=Decimal("1.00")),
            _order(world["own"], "R-2"),
        ],
    )
    assert [(o.pk, o.amount, created) for o, created in again] == [
        (first[0][0].pk, Decimal("99.00"), False),
        (again[1][0].pk, Decimal("99.00"), True),
    ]
    assert [line.quantity for line in again[0][0].lines.all()] == [2]
    assert _counts() == (counts[0] + 1, counts[1], counts[2])
