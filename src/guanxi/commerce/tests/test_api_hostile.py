"""Orders API under hostile and careless input (issue 8, items 2, 3, 8, 9, 10).

Every case answers 4xx with the exact message and leaves the database as it was.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection

from guanxi.commerce.models import Order, OrderLine, Product

LIST = "/api/v1/orders/"
BULK = "/api/v1/orders/bulk/"
OUT_OF_RANGE_DATE = "date out of range (accepted: 1970-01-01 to one day from now)"
TOO_LARGE = "amount is too large (at most 9,999,999,999.99)"
FILTER_DATE = "enter a date from 1900-01-01 to 2999-12-31"


@pytest.fixture
def world(users: dict[str, Any], make_customer: Any) -> dict[str, Any]:
    own = make_customer(name="王芳", assigned_manager=users["account_manager"])
    tea = Product.objects.create(sku="TEA-001", name="龙井")
    order = Order.objects.create(
        source="pos",
        external_id="A-1",
        customer=own,
        ordered_at=dt.datetime(2026, 10, 1, 10, 30, tzinfo=dt.UTC),
        amount=Decimal("128.00"),
    )
    OrderLine.objects.create(
        order=order,
        product=tea,
        quantity=2,
        unit_price=Decimal("64.00"),
        amount=Decimal("128.00"),
    )
    return {"own": own, "order": order}


def _order(customer: Any, /, **extra: Any) -> dict[str, Any]:
    return {
        "source": "eshop",
        "external_id": "H-1",
        "customer": customer.pk,
        "ordered_at": "2026-10-03 12:00",
        "amount": "99.00",
        **extra,
    }


def _state() -> tuple[Any, ...]:
    return (
        list(Order.objects.order_by("pk").values_list("pk", "amount")),
        list(OrderLine.objects.order_by("pk").values_list("pk", "amount")),
        Product.objects.count(),
    )


def _post_raw(client: Any, url: str, body: bytes | str) -> Any:
    return client.generic("POST", url, body, content_type="application/json")


# --- item 3: a line total that does not fit is refused, nothing is written ----


def test_huge_line_total_is_refused_and_nothing_is_saved(api: Any, world: Any) -> None:
    client = api("admin")
    payload = _order(
        world["own"],
        lines=[{"sku": "TEA-001", "quantity": 1_000_000, "unit_price": "99999"}],
    )
    before = _state()
    error = {
        "lines[0]": [
            "line total (quantity × unit price) is too large (at most 9,999,999,999.99)"
        ]
    }
    for _attempt in range(2):  # the retry gets the same answer
        response = client.post(LIST, payload, format="json")
        assert response.status_code == 400
        assert response.json() == error
    assert _state() == before
    assert client.get(LIST).status_code == 200
    bulk = client.post(BULK, {"orders": [payload]}, format="json")
    assert bulk.json() == {
        "errors": [{"index": 0, "field": "lines[0]", "message": error["lines[0]"][0]}]
    }
    assert _state() == before


# --- items 2 and 8: amounts, quantities, dates and text at the API ------------


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"amount": "1e309"}, {"amount": ["not an amount"]}),
        ({"amount": "10000000000"}, {"amount": [TOO_LARGE]}),
        ({"amount": 1e20}, {"amount": [TOO_LARGE]}),
        ({"amount": "99999999999999999999"}, {"amount": [TOO_LARGE]}),
        (
            {"amount": "¥1,2,3"},
            {
                "amount": [
                    "thousands separators must group three digits (e.g. 1,299.50)"
                ]
            },
        ),
        ({"amount": "12.345"}, {"amount": ["more than two decimal places"]}),
        ({"amount": 0.1 + 0.2}, {"amount": ["more than two decimal places"]}),
        ({"amount": "1_000"}, {"amount": ["not an amount"]}),
        ({"amount": "١٢٣"}, {"amount": ["only the digits 0-9 are accepted"]}),
        ({"amount": "NaN"}, {"amount": ["not an amount"]}),
        ({"customer": 2**64}, {"customer": ["unknown customer"]}),
        ({"customer": -1}, {"customer": ["unknown customer"]}),
        (
            {"ordered_at": "9999-12-31T23:59:59-14:00"},
            {"ordered_at": [OUT_OF_RANGE_DATE]},
        ),
        (
            {"ordered_at": "0001-01-01T00:00:00+14:00"},
            {"ordered_at": [OUT_OF_RANGE_DATE]},
        ),
        ({"ordered_at": "1969-12-31 23:00"}, {"ordered_at": [OUT_OF_RANGE_DATE]}),
        ({"ordered_at": "2099-01-01 10:00"}, {"ordered_at": [OUT_OF_RANGE_DATE]}),
        (
            {"store": "西湖\x02店"},
            {"store": ["control character U+0002 at position 3 is not allowed"]},
        ),
        ({"store": "x" * 65}, {"store": ["too long (at most 64 characters)"]}),
        (
            {"lines": [{"sku": "TEA-001", "quantity": 1_000_001, "unit_price": "1"}]},
            {"lines[0].quantity": ["quantity is too large (at most 1,000,000)"]},
        ),
        (
            {"lines": [{"sku": "TEA-001", "quantity": 2.5, "unit_price": "1"}]},
            {"lines[0].quantity": ["quantity must be a whole number of at least 1"]},
        ),
        ({"lines": "TEA-001"}, {"lines": ["expected a list of order lines"]}),
    ],
)
def test_out_of_range_and_lenient_values_are_refused(
    api: Any, world: Any, change: dict[str, Any], error: dict[str, Any]
) -> None:
    before = _state()
    response = api("admin").post(LIST, _order(world["own"], **change), format="json")
    assert response.status_code == 400
    assert response.json() == error
    assert _state() == before


def test_full_width_digits_and_invisible_marks_are_the_same_value(
    api: Any, world: Any
) -> None:
    response = api("admin").post(
        LIST,
        _order(world["own"], amount="￥１,２９９.５０", store="\ufeff西湖店\u200b"),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["amount"], response.json()["store"]) == (
        "1299.50",
        "西湖店",
    )


def test_json_number_above_the_double_range_is_not_an_amount(
    api: Any, world: Any
) -> None:
    body = json.dumps(_order(world["own"])).replace('"99.00"', "1e309")
    before = _state()
    response = _post_raw(api("admin"), LIST, body)
    assert response.status_code == 400
    assert response.json() == {"amount": ["not an amount"]}
    assert _state() == before


# --- item 9 and 10: hostile bodies --------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "the request body is nested too deeply"),
        ("{not json", "the request body is not valid JSON"),
        ('{"orders": [NaN]}', "the request body is not valid JSON"),
        (b"\xff\xfe", "the request body is not valid JSON"),
    ],
)
def test_hostile_bodies_are_a_400_in_the_documented_shape(
    api: Any, world: Any, body: str | bytes, message: str
) -> None:
    client = api("admin")
    before = _state()
    single = _post_raw(client, LIST, body)
    assert single.status_code == 400
    assert single.json() == {"detail": message}
    bulk = _post_raw(client, BULK, body)
    assert bulk.status_code == 400
    assert bulk.json() == {
        "errors": [{"index": None, "field": None, "message": message}]
    }
    assert _state() == before


def test_bodies_larger_than_the_limit_are_refused(api: Any, world: Any) -> None:
    body = json.dumps(_order(world["own"], store="x" * (9 * 1024 * 1024)))
    response = _post_raw(api("admin"), LIST, body)
    assert response.status_code == 400
    assert response.json() == {"detail": "the request body is too large (at most 8 MB)"}


def test_orders_take_json_only_as_documented(api: Any, world: Any) -> None:
    response = api("admin").post(LIST, _order(world["own"]))  # a form body
    assert response.status_code == 415
    from drf_spectacular.generators import SchemaGenerator

    spec = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    for route in ("/api/v1/orders/", "/api/v1/orders/bulk/"):
        content = spec["paths"][route]["post"]["requestBody"]["content"]
        assert list(content) == ["application/json"]


# --- item 9: crafted query parameters -----------------------------------------


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"ordered_to": "9999-12-31"}, {"ordered_to": [FILTER_DATE]}),
        ({"ordered_from": "0001-01-01"}, {"ordered_from": [FILTER_DATE]}),
        (
            {"ordered_to": ""},
            {"ordered_to": ["enter a value, or leave the parameter out"]},
        ),
        ({"amount_min": "1e11"}, {"amount_min": ["not an amount"]}),
        ({"amount_max": "99999999999"}, {"amount_max": [TOO_LARGE]}),
        (
            {"customer": str(2**70)},
            {"customer": ["enter a whole number from 1 to 9223372036854775807"]},
        ),
        ({"cursor": "garbage"}, {"cursor": ["not a valid cursor"]}),
    ],
)
def test_crafted_filters_are_a_clear_400(
    api: Any, world: Any, query: dict[str, str], error: dict[str, Any]
) -> None:
    response = api("admin").get(LIST, query)
    assert response.status_code == 400
    assert response.json() == error


@pytest.mark.parametrize(
    "position", ["9999-12-31 23:59:59-14:00", "not a time", "2026-10-01 00:00:00"]
)
def test_forged_cursor_positions_are_a_400(api: Any, world: Any, position: str) -> None:
    forged = base64.b64encode(urlencode({"p": position}).encode()).decode()
    response = api("admin").get(LIST, {"cursor": forged})
    assert response.status_code == 400
    assert response.json() == {"cursor": ["not a valid cursor"]}


@pytest.mark.parametrize("pk", ["0.5", str(2**70), "-1", "1e3"])
def test_odd_order_ids_are_the_apis_404(api: Any, world: Any, pk: str) -> None:
    response = api("admin").get(f"{LIST}{pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "order not found"}


def test_order_list_pages_by_cursor_without_counting(
    api: Any, world: Any, django_assert_max_num_queries: Any
) -> None:
    client = api("admin")
    payload = [
        _order(world["own"], external_id=f"C-{n}", ordered_at="2026-10-02 09:00")
        for n in range(60)
    ]
    assert client.post(BULK, {"orders": payload}, format="json").status_code == 201
    # token+user, role, page, lines, products: no count of all rows
    with django_assert_max_num_queries(5):
        first = client.get(LIST).json()
    assert set(first) == {"next", "previous", "results"}
    second = client.get(first["next"]).json()
    ids = [o["id"] for o in first["results"] + second["results"]]
    assert ids == list(
        Order.objects.order_by("-ordered_at", "-id").values_list("pk", flat=True)
    )
    assert second["next"] is None


# --- item 2: a value already out of range in the database ----------------------


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL refuses 1e20 in numeric(12,2)"
)
def test_out_of_range_amount_already_stored_still_reads(
    api: Any, world: Any, client: Any, users: dict[str, Any], tmp_path: Any
) -> None:
    order = world["order"]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE commerce_order SET amount = 1e20 WHERE id = %s", [order.pk]
        )
        cursor.execute(
            "UPDATE commerce_orderline SET amount = 1e20, unit_price = 5e19 "
            "WHERE order_id = %s",
            [order.pk],
        )
    api_client = api("admin")
    listed = api_client.get(LIST)
    assert listed.status_code == 200
    assert listed.json()["results"][0]["amount"] == "100000000000000000000.00"
    detail = api_client.get(f"{LIST}{order.pk}/")
    assert detail.status_code == 200
    assert detail.json()["lines"][0]["unit_price"] == "50000000000000000000.00"
    assert api_client.get(LIST, {"amount_min": "100"}).status_code == 200
    client.force_login(users["admin"])
    for url in (
        "/",
        "/orders/",
        f"/orders/{order.pk}/",
        "/customers/",
        f"/customers/{world['own'].pk}/",
    ):
        assert client.get(url).status_code == 200, url
    for kind in ("orders", "customers"):
        for fmt in ("csv", "xlsx", "json"):
            out = tmp_path / f"{kind}.{fmt}"
            call_command(
                "export",
                kind,
                "--format",
                fmt,
                "--out",
                str(out),
                "--as",
                users["admin"].get_username(),
                "--no-progress",
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
            assert out.stat().st_size > 0


def test_messages_follow_the_callers_language(api: Any, world: Any) -> None:
    client = api("admin")
    client.credentials(
        HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"],
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    payload = _order(
        world["own"],
        amount="10000000000",
        lines=[{"sku": "TEA-001", "quantity": 1_000_000, "unit_price": "99999"}],
    )
    response = client.post(LIST, payload, format="json")
    assert response.json() == {
        "amount": ["金额过大（最多 9,999,999,999.99）"],
        "lines[0]": ["行金额（数量 × 单价）过大（最多 9,999,999,999.99）"],
    }
    assert client.get(LIST, {"ordered_to": "9999-12-31"}).json() == {
        "ordered_to": ["请输入 1900-01-01 至 2999-12-31 之间的日期"]
    }


def test_a_time_at_the_end_of_the_calendar_already_stored_still_reads(
    api: Any, world: Any, client: Any, users: dict[str, Any]
) -> None:
    # An import before dates were checked could store 9999-12-31 23:00 UTC; in
    # the business's time zone (UTC+8) that is past the calendar's end.
    order = world["order"]
    Order.objects.filter(pk=order.pk).update(
        ordered_at=dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.UTC)
    )
    api_client = api("admin")
    listed = api_client.get(LIST)
    assert listed.status_code == 200
    assert listed.json()["results"][0]["ordered_at"] == "9999-12-31T23:00:00Z"
    assert api_client.get(f"{LIST}{order.pk}/").status_code == 200
    client.force_login(users["admin"])
    for url in ("/orders/", f"/orders/{order.pk}/", f"/customers/{world['own'].pk}/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "9999-12-31 23:00" in page.content.decode(), url
