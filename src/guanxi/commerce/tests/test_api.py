"""REST API v1 for orders: scope, validation, all-or-nothing bulk, idempotency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from guanxi.commerce.models import Order, OrderLine, Product
from guanxi.core.crypto import pseudonym

LIST = "/api/v1/orders/"
BULK = "/api/v1/orders/bulk/"
STATUSES = "paid, pending, cancelled, refunded, partially_refunded"


@pytest.fixture
def world(users: dict[str, Any], make_customer: Any) -> dict[str, Any]:
    own = make_customer(name="王芳", assigned_manager=users["account_manager"])
    foreign = make_customer(name="李雷", assigned_manager=users["other_manager"])
    tea = Product.objects.create(sku="TEA-001", name="龙井", category="green tea")
    when = dt.datetime(2026, 10, 1, 10, 30, tzinfo=dt.UTC)
    own_order = Order.objects.create(
        source="pos",
        external_id="A-1",
        customer=own,
        ordered_at=when,
        amount=Decimal("128.00"),
        store="西湖店",
    )
    OrderLine.objects.create(
        order=own_order,
        product=tea,
        quantity=2,
        unit_price=Decimal("64.00"),
        amount=Decimal("128.00"),
    )
    foreign_order = Order.objects.create(
        source="pos",
        external_id="B-1",
        customer=foreign,
        ordered_at=when - dt.timedelta(days=40),
        amount=Decimal("30.00"),
        status="refunded",
    )
    return {
        "own": own,
        "foreign": foreign,
        "own_order": own_order,
        "foreign_order": foreign_order,
    }


def _order(target: Any, external_id: str = "N-1", /, **extra: Any) -> dict[str, Any]:
    payload = {
        "source": "eshop",
        "external_id": external_id,
        "customer": target.pk,
        "ordered_at": "2026-10-03 12:00",
        "amount": "99.00",
    }
    return {**payload, **extra}


def _counts() -> tuple[int, int, int]:
    return Order.objects.count(), OrderLine.objects.count(), Product.objects.count()


# --- reading -----------------------------------------------------------------


def test_admin_reads_an_order_with_lines(api: Any, world: Any) -> None:
    order = world["own_order"]
    body = api("admin").get(f"{LIST}{order.pk}/").json()
    assert body == {
        "id": order.pk,
        "source": "pos",
        "external_id": "A-1",
        "customer": str(world["own"].pk),
        "ordered_at": "2026-10-01T18:30:00+08:00",
        "amount": "128.00",
        "currency": "CNY",
        "store": "西湖店",
        "channel": "",
        "status": "paid",
        "lines": [
            {
                "sku": "TEA-001",
                "name": "龙井",
                "quantity": 2,
                "unit_price": "64.00",
                "amount": "128.00",
            }
        ],
    }


def test_account_manager_sees_only_orders_of_own_customers(
    api: Any, world: Any
) -> None:
    client = api("account_manager")
    body = client.get(LIST).json()
    assert len(body["results"]) == 1
    assert [o["id"] for o in body["results"]] == [world["own_order"].pk]
    foreign = client.get(f"{LIST}{world['foreign_order'].pk}/")
    assert foreign.status_code == 404
    assert foreign.json() == {"detail": "order not found"}
    assert (
        len(client.get(LIST, {"customer": world["foreign"].pk}).json()["results"]) == 0
    )


def test_analysts_see_customers_by_pseudonym(api: Any, world: Any) -> None:
    client = api("analyst")
    body = client.get(LIST).json()
    assert len(body["results"]) == 2
    assert {o["customer"] for o in body["results"]} == {
        pseudonym(world["own"].pk),
        pseudonym(world["foreign"].pk),
    }
    # A lookup by customer number would link number and pseudonym.
    assert len(client.get(LIST, {"customer": world["own"].pk}).json()["results"]) == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "refunded"}, ["foreign_order"]),
        ({"ordered_from": "2026-10-01"}, ["own_order"]),
        ({"ordered_to": "2026-09-30"}, ["foreign_order"]),
        ({"ordered_from": "2026-08-22", "ordered_to": "2026-08-22"}, ["foreign_order"]),
        ({"amount_min": "100"}, ["own_order"]),
        ({"amount_max": "30"}, ["foreign_order"]),
        ({"store": "西湖店"}, ["own_order"]),
        ({"source": "web"}, []),
    ],
)
def test_filters(
    api: Any, world: Any, query: dict[str, str], expected: list[str]
) -> None:
    body = api("operations").get(LIST, query).json()
    assert [o["id"] for o in body["results"]] == [world[k].pk for k in expected]
    assert len(body["results"]) == len(expected)


def test_customer_filter(api: Any, world: Any) -> None:
    body = api("admin").get(LIST, {"customer": world["foreign"].pk}).json()
    assert [o["id"] for o in body["results"]] == [world["foreign_order"].pk]


def test_bad_filter_is_a_clear_400(api: Any, world: Any) -> None:
    response = api("admin").get(LIST, {"ordered_from": "2026-13-01"})
    assert response.status_code == 400
    assert response.json() == {"ordered_from": ["impossible date"]}


def test_list_query_count_does_not_grow_with_rows(
    api: Any, world: Any, django_assert_max_num_queries: Any
) -> None:
    client = api("account_manager")
    # token+user, role, count, page, lines, products
    with django_assert_max_num_queries(6):
        assert len(client.get(LIST).json()["results"]) == 1
    for n in range(30):
        api_order = _order(world["own"], f"M-{n}")
        api_order["lines"] = [{"sku": "TEA-001", "quantity": 1, "unit_price": "9"}]
        assert client.post(LIST, api_order, format="json").status_code == 201
    with django_assert_max_num_queries(6):
        assert len(client.get(LIST).json()["results"]) == 31


# --- creating ----------------------------------------------------------------


def test_create_then_repost_is_idempotent(api: Any, world: Any) -> None:
    client = api("account_manager")
    payload = _order(
        world["own"],
        amount="¥1,299.50",
        status="pending",
        lines=[
            {"sku": "TEA-001", "quantity": 1, "unit_price": "999.50"},
            {"sku": "CUP-9", "name": "青瓷杯", "quantity": "3", "unit_price": 100},
        ],
    )
    first = client.post(LIST, payload, format="json")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["amount"] == "1299.50"
    assert body["status"] == "pending"
    assert body["ordered_at"] == "2026-10-03T12:00:00+08:00"
    assert body["lines"] == [
        {
            "sku": "TEA-001",
            "name": "龙井",
            "quantity": 1,
            "unit_price": "999.50",
            "amount": "999.50",
        },
        {
            "sku": "CUP-9",
            "name": "青瓷杯",
            "quantity": 3,
            "unit_price": "100.00",
            "amount": "300.00",
        },
    ]
    counts = _counts()
    again = client.post(LIST, {**payload, "amount": "1.00"}, format="json")
    assert again.status_code == 200
    assert again.json() == body
    assert _counts() == counts


@pytest.mark.parametrize(
    ("role", "change", "status", "error"),
    [
        ("admin", {"amount": "-5"}, 400, {"amount": ["amount must not be negative"]}),
        ("admin", {"amount": "abc"}, 400, {"amount": ["not an amount"]}),
        ("admin", {"amount": True}, 400, {"amount": ["not an amount"]}),
        ("admin", {"amount": "1e12"}, 400, {"amount": ["not an amount"]}),
        (
            "admin",
            {"amount": "10000000000"},
            400,
            {"amount": ["amount is too large (at most 9,999,999,999.99)"]},
        ),
        ("admin", {"amount": None}, 400, {"amount": ["this field is required"]}),
        ("admin", {"customer": 999999}, 400, {"customer": ["unknown customer"]}),
        ("admin", {"customer": "x"}, 400, {"customer": ["unknown customer"]}),
        (
            "account_manager",
            {"customer": "foreign"},
            400,
            {"customer": ["unknown customer"]},
        ),
        (
            "admin",
            {"ordered_at": "2024-02-30"},
            400,
            {"ordered_at": ["impossible date"]},
        ),
        (
            "admin",
            {"ordered_at": "2024-02-03 25:00"},
            400,
            {"ordered_at": ["impossible time"]},
        ),
        (
            "admin",
            {"status": "shipped"},
            400,
            {"status": [f"not a valid status (expected one of: {STATUSES})"]},
        ),
        (
            "admin",
            {"external_id": ""},
            400,
            {"external_id": ["this field is required"]},
        ),
        (
            "admin",
            {"external_id": "x" * 129},
            400,
            {"external_id": ["too long (at most 128 characters)"]},
        ),
        (
            "admin",
            {"currency": "元元"},
            400,
            {"currency": ["not a currency code (expected three letters, e.g. CNY)"]},
        ),
        (
            "admin",
            {"lines": [{"sku": "NEW-1", "quantity": 1, "unit_price": "5"}]},
            400,
            {"lines[0].sku": ["unknown product (give a name to create it)"]},
        ),
        (
            "admin",
            {"lines": [{"sku": "TEA-001", "quantity": 0, "unit_price": "5"}]},
            400,
            {"lines[0].quantity": ["quantity must be a whole number of at least 1"]},
        ),
        (
            "admin",
            {"lines": [{"sku": "TEA-001", "unit_price": "-1"}]},
            400,
            {"lines[0].unit_price": ["amount must not be negative"]},
        ),
        ("service", {}, 403, {"detail": "your role may not record orders"}),
        (
            "analyst",
            {"amount": "-5"},
            403,
            {"detail": "your role may not record orders"},
        ),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(
    api: Any,
    world: Any,
    role: str,
    change: dict[str, Any],
    status: int,
    error: dict[str, Any],
) -> None:
    payload = _order(world["own"], **change)
    if change.get("customer") == "foreign":
        payload["customer"] = world["foreign"].pk
    counts = _counts()
    response = api(role).post(LIST, payload, format="json")
    assert response.status_code == status
    assert response.json() == error
    assert _counts() == counts


def test_order_id_of_a_foreign_customer_is_neither_taken_nor_shown(
    api: Any, world: Any
) -> None:
    counts = _counts()
    response = api("account_manager").post(
        LIST, _order(world["own"], "B-1", source="pos"), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "external_id": [
            "This order number cannot be saved; an administrator has been asked "
            "to resolve it."
        ]
    }
    assert _counts() == counts


def test_same_external_id_from_another_source_is_another_order(
    api: Any, world: Any
) -> None:
    response = api("admin").post(
        LIST, _order(world["own"], "A-1", source="eshop"), format="json"
    )
    assert response.status_code == 201
    assert Order.objects.filter(external_id="A-1").count() == 2


# --- bulk --------------------------------------------------------------------


def test_bulk_is_all_or_nothing_with_every_problem_listed(api: Any, world: Any) -> None:
    counts = _counts()
    response = api("account_manager").post(
        BULK,
        {
            "orders": [
                _order(world["own"], "K-1"),
                _order(world["own"], "K-2", amount="-1"),
                _order(world["foreign"], "K-3"),
                _order(world["own"], "K-1"),
                _order(world["own"], "K-5", ordered_at="2026-02-29", status="lost"),
                "not an order",
                _order(world["own"], "K-7"),
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"index": 1, "field": "amount", "message": "amount must not be negative"},
            {"index": 2, "field": "customer", "message": "unknown customer"},
            {
                "index": 3,
                "field": "external_id",
                "message": "this order appears more than once (first at item 0)",
            },
            {"index": 4, "field": "ordered_at", "message": "impossible date"},
            {
                "index": 4,
                "field": "status",
                "message": f"not a valid status (expected one of: {STATUSES})",
            },
            {"index": 5, "field": None, "message": "expected an order object"},
        ]
    }
    assert _counts() == counts


def test_bulk_creates_then_reposts_unchanged(
    api: Any, world: Any, django_assert_max_num_queries: Any
) -> None:
    client = api("operations")
    orders = [
        _order(
            world["own" if n % 2 else "foreign"],
            f"K-{n}",
            lines=[{"sku": "TEA-001", "quantity": 2, "unit_price": "10"}],
        )
        for n in range(40)
    ]
    # A bound that does not grow with the orders: the orders' revision and
    # the journeys' pending-purchases check are one statement each.
    with django_assert_max_num_queries(17):
        response = client.post(BULK, {"orders": orders}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["unchanged"]) == (40, 0)
    assert [o["external_id"] for o in body["orders"]] == [f"K-{n}" for n in range(40)]
    counts = _counts()
    assert counts[:2] == (42, 41)
    again = client.post(BULK, {"orders": orders}, format="json")
    assert again.status_code == 200
    assert again.json() == {**body, "created": 0, "unchanged": 40}
    assert _counts() == counts
    mixed = client.post(
        BULK, {"orders": [orders[0], _order(world["own"], "K-new")]}, format="json"
    )
    assert mixed.status_code == 201
    assert (mixed.json()["created"], mixed.json()["unchanged"]) == (1, 1)
    assert mixed.json()["orders"][0] == body["orders"][0]


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({}, "expected a list of orders"),
        ({"orders": {"external_id": "x"}}, "expected a list of orders"),
        ({"orders": [{}] * 1001}, "too many orders in one request (at most 1000)"),
    ],
)
def test_bulk_rejects_a_malformed_request(
    api: Any, world: Any, payload: dict[str, Any], error: str
) -> None:
    counts = _counts()
    response = api("admin").post(BULK, payload, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"index": None, "field": "orders", "message": error}]
    }
    assert _counts() == counts


def test_bulk_refuses_roles_that_may_not_write(api: Any, world: Any) -> None:
    response = api("service").post(
        BULK, {"orders": [_order(world["own"])]}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "your role may not record orders"}
    assert Order.objects.count() == 2


def test_an_order_id_is_a_number_so_it_never_names_the_bulk_route() -> None:
    # "/orders/bulk/" is the bulk create (POST): an order id "bulk" read there
    # would answer 405, which the schema does not list. Ids are numbers, and
    # the schema says so.
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    params = schema["paths"]["/api/v1/orders/{id}/"]["get"]["parameters"]
    (param,) = [p for p in params if p["in"] == "path"]
    assert param["schema"] == {"type": "string", "pattern": "^[0-9]+$"}
