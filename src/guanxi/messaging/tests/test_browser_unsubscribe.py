"""The unsubscribe page in Debian's Chromium at 390 and 1280 px: an English
browser opens a Chinese customer's link in Chinese, switches to English and
unsubscribes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.browser import chromium_page, fits_width, screenshot

from guanxi.messaging.links import unsubscribe_url
from guanxi.messaging.selectors import consent_current

pytestmark = [pytest.mark.browser]


@pytest.fixture
def page(request: Any) -> Iterator[Any]:
    width = getattr(request, "param", 390)
    with chromium_page(
        timeout_ms=15_000, locale="en-US", viewport={"width": width, "height": 844}
    ) as opened:
        yield opened


@pytest.mark.parametrize("page", [390, 1280], indirect=True)
def test_a_chinese_customer_unsubscribes_from_an_english_browser(
    live_server: Any, transactional_db: Any, page: Any, subscribed_customer: Any
) -> None:
    customer = subscribed_customer(
        name="张伟", email="zw@example.com", language="zh-hans"
    )
    width = page.viewport_size["width"]
    url = unsubscribe_url(customer_id=customer.pk, channel="email")
    page.goto(live_server.url + url[len("http://127.0.0.1:8000") :])
    assert page.inner_text("h1") == "退订"
    assert fits_width(page)
    screenshot(page, f"unsubscribe-zh-{width}")
    page.click("nav.prefs-lang a[lang=en]")
    page.wait_for_url("**?lang=en")
    assert page.inner_text("h1") == "Unsubscribe"
    assert fits_width(page)
    screenshot(page, f"unsubscribe-en-{width}")
    page.click("button[type=submit]")
    page.wait_for_selector("p[role=status]")
    assert page.inner_text("h1") == "You are unsubscribed"
    assert fits_width(page)
    screenshot(page, f"unsubscribe-en-done-{width}")
    assert not consent_current(
        customer_id=customer.pk, purpose="marketing", channel="email"
    )
