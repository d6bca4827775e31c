"""In a real browser, both languages, desktop and 390 px: the orders list
shows the count and total of the filtered orders, and the store is chosen
from a list; the page does not scroll sideways."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.browser import SETTLED, chromium_page

from guanxi.access.choices import Role
from guanxi.commerce.models import Order
from guanxi.customers.models import Customer

pytestmark = [pytest.mark.browser]

NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= window.innerWidth"
TEXTS = {"en-US": "2 orders", "zh-CN": "2 个订单"}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("locale", list(TEXTS))
def test_filter_orders_by_store_and_see_their_total(
    locale: str,
    width: int,
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    tmp_path: Path,
) -> None:
    make_user(Role.ADMIN, username="boss")
    customer = Customer.objects.create(name="王芳", city="杭州")
    when = dt.datetime(2026, 9, 1, 4, 0, tzinfo=dt.UTC)
    for n, (store, amount) in enumerate(
        [("西湖店", "100.00"), ("西湖店", "23.50"), ("滨江店", "9.00")]
    ):
        Order.objects.create(
            source="pos",
            external_id=f"W-{n}",
            customer=customer,
            ordered_at=when,
            amount=Decimal(amount),
            store=store,
        )
    viewport = {"width": width, "height": 900}
    with chromium_page(timeout_ms=20_000, locale=locale, viewport=viewport) as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "boss")
        page.fill("#id_password", "guanxi-test-pass")
        page.click("form[action$='/login/'] button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/orders/")
        page.wait_for_function(SETTLED)
        page.select_option("#id_store", "西湖店")
        page.wait_for_function(
            "() => document.querySelector('#order-total')"
            " && document.querySelector('#order-total').textContent.includes('123.50')"
        )
        page.wait_for_function(SETTLED)
        assert page.inner_text("#order-count").strip() == TEXTS[locale]
        assert page.inner_text("#order-total").strip() == "CNY 123.50"
        assert page.evaluate(NO_SIDEWAYS)
        page.screenshot(path=str(tmp_path / "orders.png"), full_page=True)
