"""Order imports with a coupon column: each new order's code is checked
(unknown, another customer's, expired, already redeemed, below the minimum
spend, twice in the file: exact messages), the file stays all-or-nothing, and
a clean file redeems the coupons with their orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from guanxi.coupons.models import CouponDefinition, IssuedCoupon

ISSUED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
HEADER = "订单号,下单时间,金额,手机号,优惠券\n"


@pytest.fixture
def coupons(make_customer: Any) -> dict[str, Any]:
    from guanxi.coupons.services import coupons_issue

    wang = make_customer(name="王芳", phone="+8613800138000")
    li = make_customer(name="李雷", phone="+8613900139000")
    definition = CouponDefinition.objects.create(
        slug="vip",
        name_zh="满100减20",
        name_en="20 off 100",
        value=Decimal(20),
        minimum_spend=Decimal(100),
        valid_days=30,
    )
    codes = coupons_issue(
        definition=definition,
        customer_ids=[wang.pk, li.pk],
        source="staff",
        now=ISSUED,
    ).codes
    return {"wang": codes[wang.pk], "li": codes[li.pk]}


def _state() -> list[tuple[str, str | None]]:
    return sorted(
        (c.code, c.redeemed_order.external_id if c.redeemed_order else None)
        for c in IssuedCoupon.objects.select_related("redeemed_order")
    )


def test_a_clean_file_redeems_its_coupons(
    coupons: dict[str, str], write_file: Any, run_import: Any
) -> None:
    wang = coupons["wang"]
    text = HEADER + (
        f"A-1,2024-01-05 14:30,120,13800138000,{wang[:5].lower()}-{wang[5:]}\n"
        "A-2,2024-01-06,50,13900139000,\n"
    )
    result = run_import("orders", write_file("o.csv", text), "--json")
    assert (result.code, result.json["created"], result.json["errors"]) == (0, 2, [])
    assert _state() == sorted([(wang, "A-1"), (coupons["li"], None)])
    redeemed = IssuedCoupon.objects.get(code=wang)
    assert redeemed.redeemed_at == dt.datetime(2024, 1, 5, 6, 30, tzinfo=dt.UTC)
    # The same file again changes nothing and reports nothing.
    again = run_import("orders", write_file("o.csv", text), "--json")
    assert (again.code, again.json["unchanged"], again.json["errors"]) == (0, 2, [])
    assert _state() == sorted([(wang, "A-1"), (coupons["li"], None)])


def _bad(coupons: dict[str, str]) -> list[tuple[str, str, str]]:
    wang, li = coupons["wang"], coupons["li"]
    return [
        ("unknown", "ABCDEFGH23", "unknown coupon code"),
        ("foreign", li, "this coupon was issued to another customer"),
        ("not a code", "ABC", "not a coupon code (10 letters and digits)"),
        ("expired", f"{wang}|2024-01-31 08:00", "this coupon expired on 2024-01-31"),
        (
            "below minimum",
            f"{wang}|2024-01-05 10:00|99.99",
            "the order amount is below this coupon's minimum spend of 100.00",
        ),
    ]


@pytest.mark.parametrize(
    "case", ["unknown", "foreign", "not a code", "expired", "below minimum"]
)
def test_a_bad_coupon_rejects_the_file(
    case: str,
    coupons: dict[str, str],
    write_file: Any,
    run_import: Any,
    counts: Any,
) -> None:
    cell, message = next((c, m) for label, c, m in _bad(coupons) if label == case)
    code, when, amount = ([*cell.split("|"), "", ""])[:3]
    row = f"A-1,{when or '2024-01-05 10:00'},{amount or '150'},13800138000,{code}\n"
    good = "A-2,2024-01-06,50,13900139000,\n"
    before = counts()
    result = run_import("orders", write_file("bad.csv", HEADER + good + row), "--json")
    assert result.code == 1
    assert result.json["errors"] == [
        {"line": 3, "column": "优惠券", "value": code, "message": message}
    ]
    assert result.json["rejected_rows"] == 1
    assert counts() == before
    assert all(order is None for _c, order in _state())


def test_a_coupon_used_twice_or_already_redeemed_is_refused(
    coupons: dict[str, str], write_file: Any, run_import: Any, counts: Any
) -> None:
    wang = coupons["wang"]
    twice = HEADER + (
        f"A-1,2024-01-05,150,13800138000,{wang}\nA-2,2024-01-06,150,13800138000,{wang}\n"
    )
    before = counts()
    result = run_import("orders", write_file("twice.csv", twice), "--json")
    assert result.json["errors"] == [
        {
            "line": 3,
            "column": "优惠券",
            "value": wang,
            "message": "this coupon is already used on line 2",
        }
    ]
    assert counts() == before
    first = HEADER + f"A-1,2024-01-05,150,13800138000,{wang}\n"
    assert run_import("orders", write_file("one.csv", first), "--json").code == 0
    later = HEADER + f"B-1,2024-01-07,150,13800138000,{wang}\n"
    result = run_import("orders", write_file("later.csv", later), "--json")
    assert result.json["errors"] == [
        {
            "line": 2,
            "column": "优惠券",
            "value": wang,
            "message": "this coupon was already redeemed",
        }
    ]
    assert _state() == sorted([(wang, "A-1"), (coupons["li"], None)])


def test_a_dry_run_checks_coupons_and_redeems_nothing(
    coupons: dict[str, str], write_file: Any, run_import: Any
) -> None:
    text = HEADER + f"A-1,2024-01-05,150,13800138000,{coupons['wang']}\n"
    result = run_import("orders", write_file("o.csv", text), "--json", "--dry-run")
    assert (result.code, result.json["created"], result.json["errors"]) == (0, 1, [])
    assert all(order is None for _c, order in _state())
