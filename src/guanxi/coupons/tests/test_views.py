"""The coupon pages: definitions, the form's exact messages, issuing to a
segment with a dry run, and the customer page's coupon and suggestion cards in
both languages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from tests.access import World

from guanxi.commerce.models import Order, OrderLine, Product
from guanxi.coupons.models import CouponDefinition, IssuedCoupon
from guanxi.coupons.services import coupons_issue, product_pairs_compute
from guanxi.segments.models import Segment

FORM = {
    "slug": "birthday",
    "name_zh": "生日券",
    "name_en": "Birthday coupon",
    "kind": "amount",
    "value": "20",
    "minimum_spend": "100",
    "validity": "days",
    "valid_days": "7",
    "per_customer_limit": "1",
    "active": "1",
}


def _definition(**values: Any) -> CouponDefinition:
    return CouponDefinition.objects.create(
        **{
            "slug": "vip-200",
            "name_zh": "满1000减200",
            "name_en": "200 off 1,000",
            "value": Decimal(200),
            "minimum_spend": Decimal(1000),
            "valid_days": 30,
        }
        | values
    )


@pytest.mark.django_db
def test_a_definition_is_created_and_listed(client_for: Any, world: World) -> None:
    client = client_for("operations")
    response = client.post("/coupons/new/", FORM)
    made = CouponDefinition.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/coupons/{made.pk}/"
    assert (made.value, made.valid_days, made.expires_on) == (Decimal(20), 7, None)
    page = client.get("/coupons/").content.decode()
    assert "Birthday coupon" in page and "¥20.00 off" in page
    zh = client_for("operations", "zh-hans").get("/coupons/").content.decode()
    assert "生日券" in zh and "减 ¥20.00" in zh and "发放后 7 天" in zh


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"slug": "Bad Slug"},
            "slug",
            "use lowercase letters, digits and dashes (e.g. vip-200)",
        ),
        (
            {"kind": "percent", "value": "120"},
            "value",
            "a percentage must be between 0 and 100",
        ),
        ({"valid_days": ""}, "valid_days", "give the number of valid days"),
        ({"validity": "fixed"}, "expires_on", "give the expiry date"),
        (
            {"value": "0"},
            "value",
            "Ensure this value is greater than or equal to 0.01.",
        ),
    ],
)
def test_bad_definitions_are_refused_with_their_message(
    client_for: Any, world: World, change: dict[str, str], field: str, message: str
) -> None:
    response = client_for("admin").post("/coupons/new/", FORM | change)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'<p class="field-error" id="error-{field}">{message}</p>' in page.replace(
        "&#x27;", "'"
    )
    assert CouponDefinition.objects.count() == 0


@pytest.mark.django_db
def test_a_taken_slug_is_refused_and_nothing_changes(
    client_for: Any, world: World
) -> None:
    first = _definition()
    other = _definition(slug="other")
    response = client_for("admin").post(
        f"/coupons/{other.pk}/edit/", FORM | {"slug": "vip-200"}
    )
    assert response.status_code == 400
    assert "a coupon with this slug exists already" in response.content.decode()
    other.refresh_from_db()
    assert (other.slug, other.name_en) == ("other", "200 off 1,000")
    assert CouponDefinition.objects.get(pk=first.pk).slug == "vip-200"


@pytest.mark.django_db
def test_issue_to_a_segment_counts_first_then_issues_once_a_day(
    client_for: Any, world: World
) -> None:
    coupon = _definition()
    segment = Segment.objects.create(
        name="own",
        rules={
            "all": [
                {
                    "field": "assigned_manager",
                    "op": "eq",
                    "value": world.users["account_manager"].pk,
                }
            ]
        },
    )
    client = client_for("operations")
    url = f"/coupons/{coupon.pk}/issue/"
    dry = client.post(url, {"segment": segment.pk, "dry_run": "1"})
    assert dry.status_code == 200
    assert (
        "1 customers of this segment would get this coupon (those who hold it "
        "already or reached the limit are skipped)."
    ) in dry.content.decode()
    assert IssuedCoupon.objects.count() == 0
    assert client.post(url, {"segment": segment.pk}).status_code == 302
    assert client.post(url, {"segment": segment.pk}).status_code == 302
    issued = IssuedCoupon.objects.get()
    assert issued.customer_id == world.own_customer.pk
    assert issued.source == "staff"
    refused = client.post(url, {"segment": ""})
    assert refused.status_code == 400
    assert (
        '<p class="message error" role="alert" id="issue-error">choose a segment</p>'
        in (refused.content.decode())
    )
    detail = client.get(f"/coupons/{coupon.pk}/").content.decode()
    assert issued.code in detail and "1 issued, 0 redeemed (0.0 %)." in detail


@pytest.mark.django_db
def test_the_customer_page_shows_coupons_and_suggestions(
    client_for: Any, world: World
) -> None:
    coupon = _definition()
    own = world.own_customer
    code = coupons_issue(
        definition=coupon, customer_ids=[own.pk], source="journey:vip-care"
    ).codes[own.pk]
    # Three other customers bought the world's product and a scarf together.
    scarf = Product.objects.create(sku="SCARF", name="丝巾")
    bought = OrderLine.objects.filter(order=world.own_order).first()
    assert bought is not None
    for n in range(3):
        order = Order.objects.create(
            source="pos",
            external_id=f"S-{n}",
            customer=world.foreign_customer if n == 0 else _someone(world, n),
            ordered_at=timezone.now() - dt.timedelta(days=1),
            amount=Decimal("50"),
        )
        for product in (bought.product, scarf):
            OrderLine.objects.create(
                order=order, product=product, unit_price=Decimal(25), amount=Decimal(25)
            )
    product_pairs_compute(min_together=3)
    page = client_for("account_manager").get(f"/customers/{own.pk}/").content.decode()
    assert code in page and "200 off 1,000" in page
    name = bought.product.name
    assert f"Customers who bought {name} also bought 丝巾." in page
    assert f"Coupon issued: 200 off 1,000 ({code})" in page
    zh = client_for("account_manager", "zh-hans").get(f"/customers/{own.pk}/")
    text = zh.content.decode()
    assert f"购买了{name}的客户也购买了丝巾。" in text
    assert "常被一起购买" in text and f"发放优惠券:满1000减200({code})" in text


def _someone(world: World, n: int) -> Any:
    from guanxi.customers.models import Customer

    return Customer.objects.create(name=f"客户{n}")
