"""In a real browser, both languages, desktop and 390 px: the outbox is
filtered by status (htmx swaps the rows), a message opens with its reason
in words, its customer's timeline shows it, and no page scrolls sideways."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from tests.browser import SETTLED, chromium_page

from guanxi.access.choices import Role
from guanxi.customers.models import Customer
from guanxi.customers.services import customer_apply_contact
from guanxi.messaging.models import Broadcast, Message, MessageEvent

pytestmark = [pytest.mark.browser]

NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= window.innerWidth"
ROWS = "() => document.querySelectorAll('tr[data-message]').length === 1"
REASON = {
    "en-US": "No marketing consent for the channel",
    "zh-CN": "该渠道没有营销同意",
}
TITLE = {"en-US": "Messages", "zh-CN": "消息"}


def _outbox() -> Message:
    """Two customers, a broadcast to both: one sent and delivered, one
    suppressed for want of consent (returned)."""
    when = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
    broadcast = Broadcast.objects.create(
        channel="email",
        purpose="marketing",
        subject="春茶上新",
        body="{{ name }}，您好：春茶到了。",
        audience="segment:VIP",
    )
    made = []
    for name, phone in (("王芳", "+8613800138000"), ("李雷", "+8613900139000")):
        customer = Customer(name=name, phone=phone, city="杭州")
        customer_apply_contact(customer)
        customer.save()
        made.append(customer)
    sent = Message.objects.create(
        cause=f"broadcast:{broadcast.pk}",
        broadcast=broadcast,
        customer=made[0],
        channel="email",
        purpose="marketing",
        idempotency_key="browser-sent",
        status="sent",
        attempts=1,
        created_at=when,
        sent_at=when,
    )
    MessageEvent.objects.create(message=sent, kind="delivered", occurred_at=when)
    return Message.objects.create(
        cause=f"broadcast:{broadcast.pk}",
        broadcast=broadcast,
        customer=made[1],
        channel="email",
        purpose="marketing",
        idempotency_key="browser-suppressed",
        status="suppressed",
        reason="no_consent",
        created_at=when,
    )


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("locale", list(REASON))
def test_filter_the_outbox_and_open_a_message(
    locale: str,
    width: int,
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    tmp_path: Path,
) -> None:
    make_user(Role.ADMIN, username="boss")
    suppressed = _outbox()
    shots = Path(os.environ.get("GUANXI_SCREENSHOTS", str(tmp_path)))
    viewport = {"width": width, "height": 900}
    with chromium_page(timeout_ms=20_000, locale=locale, viewport=viewport) as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "boss")
        page.fill("#id_password", "guanxi-test-pass")
        page.click("form[action$='/login/'] button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/messages/")
        page.wait_for_function(SETTLED)
        assert page.inner_text("h1").strip() == TITLE[locale]
        assert page.locator("tr[data-message]").count() == 2
        assert page.evaluate(NO_SIDEWAYS)
        page.screenshot(
            path=str(shots / f"outbox-{locale}-{width}.png"), full_page=True
        )
        page.select_option("#id_status", "suppressed")
        page.wait_for_function(ROWS)
        page.wait_for_function(SETTLED)
        assert "status=suppressed" in page.url
        row = page.locator("tr[data-message]")
        assert row.get_attribute("data-message") == str(suppressed.pk)
        assert REASON[locale] in row.inner_text()
        assert "李雷" in row.inner_text()
        row.locator("a", has_text=f"#{suppressed.pk}").click()
        page.wait_for_url(f"{live_server.url}/messages/{suppressed.pk}/")
        assert page.inner_text("dd.reason").strip() == REASON[locale]
        assert "{{ name }}，您好：春茶到了。" in page.inner_text("pre.template-body")
        assert page.evaluate(NO_SIDEWAYS)
        page.screenshot(
            path=str(shots / f"message-{locale}-{width}.png"), full_page=True
        )
        # The customer's timeline has the message, linked back to it.
        page.click("dl.fields a[href^='/customers/']")
        page.wait_for_url(f"{live_server.url}/customers/{suppressed.customer_id}/")
        item = page.locator("li.event-message")
        assert item.count() == 1
        assert REASON[locale] in item.inner_text()
        assert item.locator(f"a[href='/messages/{suppressed.pk}/']").count() == 1
        assert page.evaluate(NO_SIDEWAYS)
        page.screenshot(
            path=str(shots / f"timeline-{locale}-{width}.png"), full_page=True
        )
