"""The coupon pages in Debian's Chromium, in both languages, on a desktop and
at a phone's 390 px: an operations user opens Coupons from the user menu,
gets a bad form's message, saves a coupon, counts a segment (dry run), issues
the coupon to it, and finds the code on the customer's page."""

from __future__ import annotations

from typing import Any

import pytest
from tests.browser import chromium_page, fits_width, screenshot

from guanxi.access.choices import Role
from guanxi.coupons.models import IssuedCoupon
from guanxi.segments.models import Segment

pytestmark = [pytest.mark.browser]

PASSWORD = "coupons-7-pass"
TEXTS = {
    "en": {
        "locale": "en-US",
        "link": "Coupons",
        "slug_error": "use lowercase letters, digits and dashes (e.g. vip-200)",
        "dry_run": "1 customers of this segment would get this coupon",
        "issued": "Issued 1 coupons; 0 customers were skipped",
        "name": "200 off 1,000",
        "card": "Coupons",
    },
    "zh-hans": {
        "locale": "zh-CN",
        "link": "优惠券",
        "slug_error": "请使用小写字母、数字和短横线(例如 vip-200)",
        "dry_run": "该分群将有 1 位客户获得这张优惠券",
        "issued": "已发放 1 张优惠券;跳过 0 位客户",
        "name": "满1000减200",
        "card": "优惠券",
    },
}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", list(TEXTS))
def test_operations_define_and_issue_a_coupon(
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    make_customer: Any,
    language: str,
    width: int,
) -> None:
    texts = TEXTS[language]
    user = make_user(Role.OPERATIONS, username="yunying")
    user.set_password(PASSWORD)
    user.save()
    customer = make_customer(name="王芳", city="杭州")
    Segment.objects.create(
        name="杭州客户",
        rules={"all": [{"field": "city", "op": "eq", "value": "杭州"}]},
    )
    base = live_server.url
    with chromium_page(
        timeout_ms=15_000,
        locale=texts["locale"],
        extra_http_headers={"Accept-Language": texts["locale"]},
        viewport={"width": width, "height": 900},
    ) as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/login/")
        page.fill("#id_username", "yunying")
        page.fill("#id_password", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{base}/")
        link = page.locator("a[href='/coupons/']")
        assert link.count() == 1
        assert link.text_content() == texts["link"]
        page.goto(f"{base}/coupons/")
        page.click("#new-coupon")
        page.wait_for_url(f"{base}/coupons/new/")
        page.fill("#id_slug", "VIP 200")
        page.fill("#id_name_zh", "满1000减200")
        page.fill("#id_name_en", "200 off 1,000")
        page.fill("#id_value", "200")
        page.fill("#id_minimum_spend", "1000")
        page.click("#save-coupon")
        page.wait_for_selector("#error-slug")
        assert page.inner_text("#error-slug") == texts["slug_error"]
        assert fits_width(page)
        screenshot(page, f"coupon-form-{language}-{width}")
        page.fill("#id_slug", "vip-200")
        page.click("#save-coupon")
        page.wait_for_url(f"{base}/coupons/*/")
        assert page.inner_text("h1") == texts["name"]
        page.select_option("#id_segment", label="杭州客户")
        page.click("#issue-count")
        page.wait_for_selector("#issue-dry-run")
        assert texts["dry_run"] in page.inner_text("#issue-dry-run")
        assert IssuedCoupon.objects.count() == 0
        page.select_option("#id_segment", label="杭州客户")
        page.click("#issue-now")
        page.wait_for_selector(f"text={texts['issued']}")
        code = IssuedCoupon.objects.get(customer=customer).code
        assert code in page.inner_text("#issued")
        assert fits_width(page)
        screenshot(page, f"coupon-detail-{language}-{width}")
        page.goto(f"{base}/coupons/")
        assert texts["name"] in page.inner_text("#coupon-vip-200")
        assert fits_width(page)
        screenshot(page, f"coupon-list-{language}-{width}")
        page.goto(f"{base}/customers/{customer.pk}/")
        card = page.inner_text("#coupons-card")
        assert texts["card"] in card and code in card
        assert fits_width(page)
        screenshot(page, f"coupon-customer-{language}-{width}")
        assert errors == []
