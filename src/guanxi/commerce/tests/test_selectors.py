"""Order reads, called directly: scope through the customer, filters, one order,
and the monthly summary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from guanxi.commerce.models import Order, OrderLine, Product
from guanxi.commerce.selectors import (
    OrderFilters,
    order_filter_customer,
    order_get,
    order_list,
    order_monthly_summary,
    order_scope,
)
from guanxi.core.errors import NotFound

pytestmark = pytest.mark.django_db
MARCH = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


@pytest.fixture
def shop(users: dict[str, Any], make_customer: Any) -> dict[str, Any]:
    """Orders of the account manager's customer (own) and another's (foreign)."""
    own = make_customer(name="王芳", assigned_manager=users["account_manager"])
    foreign = make_customer(name="李雷", assigned_manager=users["other_manager"])
    tea = Product.objects.create(sku="TEA-001", name="龙井")

    def order(customer: Any, external_id: str, days: int, **values: Any) -> Order:
        o = Order.objects.create(
            source=values.pop("source", "pos"),
            external_id=external_id,
            customer=customer,
            ordered_at=MARCH + dt.timedelta(days=days),
            amount=Decimal(values.pop("amount", "100.00")),
            **values,
        )
        OrderLine.objects.create(
            order=o, product=tea, quantity=1, unit_price=o.amount, amount=o.amount
        )
        return o

    return {
        "own": own,
        "foreign": foreign,
        "A1": order(own, "A1", 0, store="西湖店"),
        "A2": order(own, "A2", 40, status="refunded", amount="50.00"),
        "A3": order(own, "A3", 40, source="shop", amount="30.00"),
        "B1": order(foreign, "B1", 5, store="西湖店", amount="70.00"),
        "B2": order(foreign, "B2", 65, status="cancelled"),
    }


def _ids(qs: Any) -> list[str]:
    return [o.external_id for o in qs]


def test_order_scope_goes_through_the_customer(
    users: dict[str, Any], shop: dict[str, Any]
) -> None:
    everything = ["A1", "A2", "A3", "B1", "B2"]
    for role in ("admin", "operations", "service", "analyst"):
        assert sorted(_ids(order_scope(actor=users[role]))) == everything, role
    manager = users["account_manager"]
    assert sorted(_ids(order_scope(actor=manager))) == ["A1", "A2", "A3"]
    assert sorted(_ids(order_scope(actor=users["other_manager"]))) == ["B1", "B2"]
    assert list(order_scope(actor=AnonymousUser())) == []


def test_order_list_is_newest_first_with_the_id_breaking_ties(
    users: dict[str, Any], shop: dict[str, Any]
) -> None:
    assert _ids(order_list(actor=users["admin"])) == ["B2", "A3", "A2", "B1", "A1"]


def test_order_list_filters(users: dict[str, Any], shop: dict[str, Any]) -> None:
    admin = users["admin"]

    def ids(**filters: Any) -> list[str]:
        return _ids(order_list(actor=admin, filters=OrderFilters(**filters)))

    assert ids(customer=shop["own"].pk) == ["A3", "A2", "A1"]
    assert ids(status="refunded") == ["A2"]
    assert ids(store="西湖店") == ["B1", "A1"]
    assert ids(source="shop") == ["A3"]
    assert ids(ordered_from=MARCH + dt.timedelta(days=5)) == ["B2", "A3", "A2", "B1"]
    assert ids(ordered_to=MARCH + dt.timedelta(days=5)) == ["A1"]
    manager = users["account_manager"]
    foreign = OrderFilters(customer=shop["foreign"].pk)
    assert list(order_list(actor=manager, filters=foreign)) == []


def test_orders_by_customer_number_find_nothing_for_a_pseudonymous_role(
    users: dict[str, Any], shop: dict[str, Any]
) -> None:
    own = shop["own"].pk
    analyst = users["analyst"]
    assert (
        list(order_filter_customer(order_scope(actor=analyst), own, actor=analyst))
        == []
    )
    filters = OrderFilters(customer=own)
    assert list(order_list(actor=analyst, filters=filters)) == []
    admin = users["admin"]
    assert len(order_filter_customer(order_scope(actor=admin), own, actor=admin)) == 3


def test_order_get_loads_customer_and_lines_and_hides_the_rest(
    users: dict[str, Any], shop: dict[str, Any], django_assert_num_queries: Any
) -> None:
    manager = users["account_manager"]
    assert (
        manager.staff_profile.role == "account_manager"
    )  # loaded once, as per request
    with django_assert_num_queries(3):  # order with customer, lines, products
        order = order_get(actor=manager, pk=shop["A1"].pk)
        assert order.customer.name == "王芳"
        assert [line.product.sku for line in order.lines.all()] == ["TEA-001"]
    for actor, pk in [
        (manager, shop["B1"].pk),
        (AnonymousUser(), shop["A1"].pk),
        (users["admin"], 999_999),
        (users["admin"], "x"),
    ]:
        with translation.override("en"), pytest.raises(NotFound) as caught:
            order_get(actor=actor, pk=pk)
        assert caught.value.message == "order not found"


def test_monthly_summary_leaves_out_cancelled_and_refunded_orders(
    users: dict[str, Any], shop: dict[str, Any]
) -> None:
    april = MARCH.replace(month=4)
    may = MARCH.replace(month=5)
    periods = [(MARCH, april), (april, may), (may, MARCH.replace(month=6))]
    assert order_monthly_summary(actor=users["admin"], periods=periods) == [
        {"start": MARCH, "orders": 2, "revenue": Decimal("170.00")},
        {"start": april, "orders": 1, "revenue": Decimal("30.00")},
        {"start": may, "orders": 0, "revenue": Decimal(0)},
    ]
    manager = users["account_manager"]
    summary = order_monthly_summary(actor=manager, periods=periods)
    assert [(row["orders"], row["revenue"]) for row in summary] == [
        (1, Decimal("100.00")),
        (1, Decimal("30.00")),
        (0, Decimal(0)),
    ]
    assert order_monthly_summary(actor=manager, periods=[]) == []
