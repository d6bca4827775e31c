"""Who may reach the coupon pages and endpoints (see tests/access.py).

Admins and operations (the roles that send to segments) define and issue
coupons; every other role is refused the pages (403). Definitions hold no
personal data; a definition that does not exist is a 404. Through the API every
role reads the definitions, and the issued coupons of the customers in its
scope (an account manager's own; an analyst's by pseudonym).
"""

from __future__ import annotations

from decimal import Decimal

from tests.access import AccessCase, World, expect


def _coupon(world: World) -> None:
    from guanxi.coupons.models import CouponDefinition, IssuedCoupon
    from guanxi.coupons.services import coupons_issue
    from guanxi.segments.models import Segment

    definition = CouponDefinition.objects.create(
        slug="vip-200",
        name_zh="满1000减200",
        name_en="200 off 1,000",
        value=Decimal(200),
        minimum_spend=Decimal(1000),
        valid_days=30,
    )
    coupons_issue(
        definition=definition,
        customer_ids=[world.own_customer.pk, world.foreign_customer.pk],
        source="staff",
    )
    assert IssuedCoupon.objects.count() == 2
    world.extra["coupon"] = definition
    world.extra["segment"] = Segment.objects.create(
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


def _birthday(world: World) -> None:
    from guanxi.coupons.models import CouponDefinition

    CouponDefinition.objects.create(
        slug="birthday",
        name_zh="生日券",
        name_en="Birthday coupon",
        value=Decimal(20),
        valid_days=7,
        per_customer_limit=5,
    )


def _form(world: World) -> dict[str, str]:
    return {
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


MANAGERS = expect(403, anonymous=302, admin=200, operations=200)
SAVED = expect(403, anonymous=302, admin=302, operations=302)
MISSING = expect(403, anonymous=302, admin=404, operations=404)
OWN = lambda w: [w.extra["coupon"].pk]  # noqa: E731
NONE = lambda w: [999_999]  # noqa: E731

CASES = [
    AccessCase("coupons:definition-list", MANAGERS, setup=_coupon),
    AccessCase("coupons:definition-create", MANAGERS),
    AccessCase(
        "coupons:definition-create", SAVED, method="POST", data=_form, label="save"
    ),
    AccessCase(
        "coupons:definition-create",
        expect(403, anonymous=302, admin=400, operations=400),
        method="POST",
        data=lambda w: _form(w) | {"value": "0"},
        label="bad value",
    ),
    AccessCase(
        "coupons:definition-detail", MANAGERS, args=OWN, setup=_coupon, label="own"
    ),
    AccessCase("coupons:definition-detail", MISSING, args=NONE, label="foreign"),
    AccessCase(
        "coupons:definition-edit", MANAGERS, args=OWN, setup=_coupon, label="own"
    ),
    AccessCase(
        "coupons:definition-edit",
        SAVED,
        method="POST",
        args=OWN,
        data=lambda w: _form(w) | {"slug": "vip-200"},
        setup=_coupon,
        label="own save",
    ),
    AccessCase("coupons:definition-edit", MISSING, args=NONE, label="foreign"),
    AccessCase(
        "coupons:definition-issue",
        MANAGERS,
        method="POST",
        args=OWN,
        data=lambda w: {"segment": w.extra["segment"].pk, "dry_run": "1"},
        setup=_coupon,
        label="own",
    ),
    AccessCase(
        "coupons:definition-issue",
        SAVED,
        method="POST",
        args=OWN,
        data=lambda w: {"segment": w.extra["segment"].pk},
        setup=_coupon,
        label="own issue",
    ),
    AccessCase(
        "coupons:definition-issue",
        MISSING,
        method="POST",
        args=NONE,
        data=lambda w: {"segment": "1"},
        label="foreign",
    ),
]

JSON = "application/json"
API_READ = expect(200, anonymous=401, no_role=403)
API_ISSUE = expect(403, anonymous=401, admin=201, operations=201)

CASES += [
    AccessCase("api-coupon-definition-list", API_READ, auth="token", setup=_coupon),
    AccessCase("api-coupon-issued-list", API_READ, auth="token", setup=_coupon),
    AccessCase(
        "api-coupon-issue",
        API_ISSUE,
        method="POST",
        auth="token",
        args=lambda w: ["birthday"],
        data=lambda w: {"customers": [w.own_customer.pk], "key": "k1"},
        content_type=JSON,
        setup=_birthday,
        label="own",
    ),
    AccessCase(
        "api-coupon-issue",
        expect(403, anonymous=401, admin=404, operations=404),
        method="POST",
        auth="token",
        args=lambda w: ["no-such-coupon"],
        data=lambda w: {"customers": [w.foreign_customer.pk]},
        content_type=JSON,
        label="foreign",
    ),
]
