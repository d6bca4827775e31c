"""The preference page in Debian's Chromium, at a phone's 390 px and a desktop's
1280 px: a customer switches e-mail off and SMS on in Chinese (their
language), another switches the page to English; the real form posts with
Django's CSRF check on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from tests.access import build_world
from tests.browser import chromium_page, fits_width, screenshot
from tests.outbox import consent_set

from guanxi.customers.services import customer_apply_contact
from guanxi.messaging.links import preferences_token
from guanxi.messaging.models import ConsentRecord, SuppressedAddress
from guanxi.messaging.selectors import consent_current

pytestmark = [pytest.mark.browser]


@pytest.fixture
def page(request: Any) -> Iterator[Any]:
    width = getattr(request, "param", 390)
    with chromium_page(
        timeout_ms=15_000, locale="zh-CN", viewport={"width": width, "height": 844}
    ) as opened:
        yield opened


def _path(customer: Any) -> str:
    return f"/m/preferences/{preferences_token(customer_id=customer.pk)}/"


@pytest.mark.parametrize("page", [390, 1280], indirect=True)
def test_a_customer_changes_their_preferences_in_both_languages(
    live_server: Any, transactional_db: Any, page: Any
) -> None:
    world = build_world()
    customer = world.own_customer
    customer.email = "zhang.wei@example.com"
    customer.language = "zh-hans"
    customer_apply_contact(customer)  # the e-mail's blind index too
    customer.save()
    consent_set(customer)
    width = page.viewport_size["width"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    url = live_server.url + _path(customer)
    page.goto(url)
    assert page.inner_text("h1") == "消息偏好"
    assert "z***@example.com" in page.inner_text("main")
    assert fits_width(page)
    screenshot(page, f"preferences-zh-{width}")
    page.click("fieldset[data-channel=email] label:has(input[value=no])")
    page.click("fieldset[data-channel=sms] label:has(input[value=yes])")
    page.click("button[type=submit]")
    page.wait_for_selector(".prefs-done")
    assert page.inner_text(".prefs-done") == "您的选择已保存。"
    assert fits_width(page)
    screenshot(page, f"preferences-zh-saved-{width}")
    state = {
        c: consent_current(customer_id=customer.pk, purpose="marketing", channel=c)
        for c in ("email", "sms", "wecom", "phone")
    }
    assert state == {"email": False, "sms": True, "wecom": False, "phone": False}
    assert ConsentRecord.objects.filter(source="preferences").count() == 2

    # Another customer reads it in English.
    other = world.foreign_customer
    page.goto(live_server.url + _path(other))
    page.click(".prefs-lang a[lang=en]")
    page.wait_for_url("**?lang=en")
    assert page.inner_text("h1") == "Message preferences"
    assert page.inner_text("fieldset[data-channel=sms] legend").startswith("SMS")
    assert fits_width(page)
    screenshot(page, f"preferences-en-{width}")
    page.click("fieldset[data-channel=wecom] label:has(input[value=yes])")
    page.click("button[type=submit]")
    page.wait_for_selector(".prefs-done")
    assert page.inner_text(".prefs-done") == "Your choices are saved."
    assert consent_current(customer_id=other.pk, purpose="marketing", channel="wecom")

    # A child whose e-mail bounced: the page says both, and still fits.
    child = world.own_customer
    child.birthday = timezone.localdate().replace(year=2020)
    child.save()
    SuppressedAddress.objects.create(
        channel="email", address_index=child.email_index, code="SMTP 550"
    )
    page.goto(url + "?lang=en")
    assert "only a parent or guardian can agree" in page.inner_text("main")
    assert page.is_visible("fieldset[data-channel=email] .prefs-undeliverable")
    assert fits_width(page)
    screenshot(page, f"preferences-minor-en-{width}")

    # A damaged link: the page says so in both languages.
    page.goto(url[:-6] + "AAAA/")
    refused = page.inner_text("main")
    assert "此链接无效。" in refused and "This link is not valid." in refused
    assert fits_width(page)
    screenshot(page, f"preferences-invalid-{width}")
    assert errors == []
