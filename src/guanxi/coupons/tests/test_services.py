"""Coupons: definitions, set-based idempotent issuing, the redemption checks."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from guanxi.commerce.models import Order
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.coupons.models import CouponDefinition, IssuedCoupon
from guanxi.coupons.selectors import coupon_rates_by_definition, coupon_rates_by_source
from guanxi.coupons.services import (
    CouponRedeemer,
    coupon_code_parse,
    coupon_definition_save,
    coupons_issue,
)

NOW = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)


def definition(**values: Any) -> CouponDefinition:
    defaults: dict[str, Any] = {
        "slug": "vip-200",
        "name_zh": "满1000减200",
        "name_en": "200 off 1,000",
        "kind": "amount",
        "value": Decimal("200"),
        "minimum_spend": Decimal("1000"),
        "valid_days": 30,
    }
    return CouponDefinition.objects.create(**(defaults | values))


@pytest.mark.django_db
def test_issue_to_many_is_idempotent_per_key(make_customer: Any) -> None:
    coupon = definition(per_customer_limit=2)
    people = [make_customer() for _ in range(5)]
    ids = [p.pk for p in people]
    first = coupons_issue(
        definition=coupon, customer_ids=ids, source="journey:vip-care", now=NOW
    )
    assert (first.issued, first.already, first.at_limit) == (5, 0, 0)
    assert all(re.fullmatch(r"[2-9A-HJ-NP-Z]{10}", c) for c in first.codes.values())
    assert len(set(first.codes.values())) == 5
    again = coupons_issue(
        definition=coupon, customer_ids=ids, source="journey:vip-care", now=NOW
    )
    assert (again.issued, again.already) == (0, 5)
    assert again.codes == first.codes
    assert IssuedCoupon.objects.count() == 5
    issued = IssuedCoupon.objects.get(customer=people[0])
    assert issued.expires_at == NOW + dt.timedelta(days=30)
    assert issued.source == "journey:vip-care"


@pytest.mark.django_db
def test_issue_respects_the_per_customer_limit(make_customer: Any) -> None:
    coupon = definition(per_customer_limit=1)
    person = make_customer()
    coupons_issue(definition=coupon, customer_ids=[person.pk], source="staff", now=NOW)
    other_key = coupons_issue(
        definition=coupon,
        customer_ids=[person.pk, 999_999],
        source="staff",
        source_key="second",
        now=NOW,
    )
    assert (other_key.issued, other_key.at_limit, other_key.unknown) == (0, 1, 1)
    assert IssuedCoupon.objects.count() == 1


@pytest.mark.django_db
def test_fixed_expiry_is_the_end_of_that_local_day(make_customer: Any) -> None:
    coupon = definition(valid_days=None, expires_on=dt.date(2026, 12, 31))
    person = make_customer()
    coupons_issue(definition=coupon, customer_ids=[person.pk], source="api", now=NOW)
    # Asia/Shanghai: 2027-01-01 00:00 local is 2026-12-31 16:00 UTC.
    assert IssuedCoupon.objects.get().expires_at == dt.datetime(
        2026, 12, 31, 16, 0, tzinfo=dt.UTC
    )


@pytest.mark.django_db
def test_a_switched_off_or_expired_coupon_is_not_issued(make_customer: Any) -> None:
    person = make_customer()
    with translation.override("en"):
        with pytest.raises(ValidationFailed, match=r"^this coupon is switched off$"):
            coupons_issue(
                definition=definition(active=False),
                customer_ids=[person.pk],
                source="staff",
            )
        with pytest.raises(ValidationFailed, match=r"^this coupon has expired$"):
            coupons_issue(
                definition=definition(
                    slug="old", valid_days=None, expires_on=dt.date(2026, 1, 1)
                ),
                customer_ids=[person.pk],
                source="staff",
                now=NOW,
            )
    assert IssuedCoupon.objects.count() == 0


@pytest.mark.django_db
def test_definition_save_checks_role_and_values(users: dict[str, Any]) -> None:
    values: dict[str, Any] = {
        "slug": "birthday",
        "name_zh": "生日券",
        "name_en": "Birthday coupon",
        "kind": "percent",
        "value": Decimal("120"),
        "minimum_spend": Decimal(0),
        "valid_days": 7,
        "expires_on": None,
        "per_customer_limit": 1,
        "active": True,
    }
    with translation.override("en"):
        with pytest.raises(
            PermissionDenied, match=r"^your role may not manage coupons$"
        ):
            coupon_definition_save(actor=users["service"], values=values)
        with pytest.raises(
            ValidationFailed, match=r"^a percentage must be between 0 and 100$"
        ):
            coupon_definition_save(actor=users["operations"], values=values)
        with pytest.raises(
            ValidationFailed,
            match=r"^give either an expiry date or a number of valid days$",
        ):
            coupon_definition_save(
                actor=users["operations"],
                values=values
                | {"value": Decimal(10), "expires_on": dt.date(2027, 1, 1)},
            )
    assert CouponDefinition.objects.count() == 0
    made = coupon_definition_save(
        actor=users["operations"], values=values | {"value": Decimal(10)}
    )
    assert made.pk is not None and made.kind == "percent"


def test_codes_are_read_as_typed() -> None:
    assert coupon_code_parse(" abcd-efgh 23 ") == "ABCDEFGH23"
    with (
        translation.override("en"),
        pytest.raises(
            ValidationFailed, match=r"^not a coupon code \(10 letters and digits\)$"
        ),
    ):
        coupon_code_parse("ABCDEFGH10")


@pytest.mark.django_db
def test_the_redemption_checks_in_order(make_customer: Any) -> None:
    coupon = definition()
    person, other = make_customer(), make_customer()
    code = coupons_issue(
        definition=coupon, customer_ids=[person.pk], source="staff", now=NOW
    ).codes[person.pk]
    later = NOW + dt.timedelta(days=1)
    redeemer = CouponRedeemer()

    def check(**kw: Any) -> str | None:
        args: dict[str, Any] = {
            "customer_id": person.pk,
            "amount": Decimal("1000.00"),
            "ordered_at": later,
            "key": 7,
            "label": 70,
            "repeated": "already used at %(at)s",
        }
        return redeemer.refusal(kw.pop("code", code), **(args | kw))

    with translation.override("en"):
        assert check(code="ZZZZZZZZZZ") == "unknown coupon code"
        assert check(customer_id=other.pk) == (
            "this coupon was issued to another customer"
        )
        assert check(customer_id=None) == "this coupon was issued to another customer"
        assert check(ordered_at=NOW + dt.timedelta(days=30)) == (
            "this coupon expired on 2026-12-01"
        )
        assert check(amount=Decimal("999.99")) == (
            "the order amount is below this coupon's minimum spend of 1000.00"
        )
        assert check() is None
        assert check(key=8) == "already used at 70"
    order = Order.objects.create(
        source="pos",
        external_id="A-1",
        customer=person,
        ordered_at=later,
        amount=Decimal("1000.00"),
    )
    assert redeemer.write({7: order.pk}) == 1
    issued = IssuedCoupon.objects.get()
    assert (issued.redeemed_order_id, issued.redeemed_at) == (order.pk, later)
    with translation.override("en"):
        assert CouponRedeemer().refusal(
            code,
            customer_id=person.pk,
            amount=Decimal(1000),
            ordered_at=later,
            key=1,
            label=1,
            repeated="",
        ) == ("this coupon was already redeemed")


@pytest.mark.django_db
def test_redemption_rates_by_definition_and_source(
    make_customer: Any, users: dict[str, Any]
) -> None:
    coupon = definition()
    people = [make_customer() for _ in range(4)]
    codes = coupons_issue(
        definition=coupon,
        customer_ids=[p.pk for p in people[:3]],
        source="journey:birthday",
        now=NOW,
    ).codes
    coupons_issue(
        definition=coupon, customer_ids=[people[3].pk], source="staff", now=NOW
    )
    order = Order.objects.create(
        source="pos",
        external_id="A-1",
        customer=people[0],
        ordered_at=NOW,
        amount=Decimal("1200"),
    )
    IssuedCoupon.objects.filter(code=codes[people[0].pk]).update(
        redeemed_order=order, redeemed_at=NOW
    )
    rates = coupon_rates_by_definition(actor=users["admin"])[coupon.pk]
    assert (rates.issued, rates.redeemed, rates.rate) == (4, 1, 0.25)
    journey = coupon_rates_by_source(actor=users["admin"], source="journey:birthday")
    assert list(journey) == ["journey:birthday"]
    assert journey["journey:birthday"].rate == pytest.approx(1 / 3)
    assert coupon_rates_by_source(actor=users["account_manager"]) == {}
