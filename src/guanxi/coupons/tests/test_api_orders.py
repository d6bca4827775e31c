"""The orders API's ``coupon`` field: checked with the same exact messages as
the import, all-or-nothing in a bulk, redeemed with the order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from guanxi.commerce.models import Order
from guanxi.coupons.models import CouponDefinition, IssuedCoupon

ISSUED = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture
def shop(users: dict[str, Any], make_customer: Any) -> dict[str, Any]:
    from guanxi.coupons.services import coupons_issue

    own = make_customer(assigned_manager=users["account_manager"])
    other = make_customer(assigned_manager=users["other_manager"])
    definition = CouponDefinition.objects.create(
        slug="welcome",
        name_zh="新人礼",
        name_en="Welcome gift",
        value=Decimal(10),
        minimum_spend=Decimal(50),
        valid_days=10,
    )
    codes = coupons_issue(
        definition=definition, customer_ids=[own.pk, other.pk], source="api", now=ISSUED
    ).codes
    return {
        "own": own,
        "other": other,
        "code": codes[own.pk],
        "foreign": codes[other.pk],
    }


def _order(shop: dict[str, Any], external_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "source": "eshop",
        "external_id": external_id,
        "customer": shop["own"].pk,
        "ordered_at": "2026-11-02T10:00:00+08:00",
        "amount": "80.00",
        **extra,
    }


@pytest.mark.django_db
def test_an_order_redeems_its_coupon(api: Any, shop: dict[str, Any]) -> None:
    code = shop["code"]
    answer = api("account_manager").post(
        "/api/v1/orders/",
        _order(shop, "E-1", coupon=f"{code[:5].lower()} {code[5:]}"),
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    coupon = IssuedCoupon.objects.get(code=code)
    assert coupon.redeemed_order_id == answer.json()["id"]
    assert coupon.redeemed_at == dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"coupon": "ZZZZZZZZZZ"}, "unknown coupon code"),
        ({"coupon": "O0O0O0O0O0"}, "not a coupon code (10 letters and digits)"),
        ({"coupon": "X" * 41}, "not a coupon code (10 letters and digits)"),
        ({"coupon": "foreign"}, "this coupon was issued to another customer"),
        (
            {"amount": "49.99"},
            "the order amount is below this coupon's minimum spend of 50.00",
        ),
        (
            {"ordered_at": "2026-11-11T08:00:00+08:00"},
            "this coupon expired on 2026-11-11",
        ),
    ],
)
def test_a_bad_coupon_refuses_the_order(
    api: Any, shop: dict[str, Any], extra: dict[str, Any], message: str
) -> None:
    if extra.get("coupon") == "foreign":
        extra = {"coupon": shop["foreign"]}
    body = _order(shop, "E-1", **({"coupon": shop["code"]} | extra))
    answer = api("account_manager").post("/api/v1/orders/", body, format="json")
    assert answer.status_code == 400
    assert answer.json() == {"coupon": [message]}
    assert Order.objects.count() == 0
    assert not IssuedCoupon.objects.filter(redeemed_order__isnull=False).exists()


@pytest.mark.django_db
def test_a_bulk_using_one_coupon_twice_records_nothing(
    api: Any, shop: dict[str, Any]
) -> None:
    code = shop["code"]
    body = {
        "orders": [
            _order(shop, "E-1", coupon=code),
            _order(shop, "E-2", coupon=code),
        ]
    }
    answer = api("admin").post("/api/v1/orders/bulk/", body, format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "errors": [
            {
                "index": 1,
                "field": "coupon",
                "message": "this coupon is already used by item 0",
            }
        ]
    }
    assert Order.objects.count() == 0
    body["orders"].pop()
    assert (
        api("admin").post("/api/v1/orders/bulk/", body, format="json").status_code
        == 201
    )
    # Posting the same order again answers it unchanged, with no coupon error.
    again = api("admin").post("/api/v1/orders/bulk/", body, format="json")
    assert again.status_code == 200
    assert IssuedCoupon.objects.get(code=code).redeemed_order is not None
