"""In Debian's Chromium: a customer files a complaint on their public form (a
phone's 390 px), service staff reply with the apology template and mark it
solved (a desktop), the customer confirms it; in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.access import build_world
from tests.browser import chromium_page, fits_width, screenshot

from guanxi.feedback.links import form_token
from guanxi.feedback.models import Ticket

pytestmark = [pytest.mark.browser]

PASSWORD = "longjing-7-pass"
WORDS = {
    "en": {
        "form": "Your feedback",
        "new": "New",
        "acknowledged": "Acknowledged",
        "solved": "Solved",
        "confirmed": "Confirmed",
        "apology": "Hello, we are very sorry you ran into this problem.",
        "closed": "This request is closed. Thank you!",
    },
    "zh-hans": {
        "form": "您的反馈",
        "new": "新建",
        "acknowledged": "已受理",
        "solved": "已解决",
        "confirmed": "已确认",
        "apology": "您好，非常抱歉让您遇到这样的问题。",
        "closed": "此反馈已关闭，谢谢！",
    },
}


@pytest.fixture
def browser(request: Any) -> Iterator[Any]:
    language = request.param
    with chromium_page(
        timeout_ms=15_000,
        locale="en-US" if language == "en" else "zh-CN",
        extra_http_headers={"Accept-Language": language},
        viewport={"width": 390, "height": 844},
    ) as page:
        yield page, language


@pytest.mark.parametrize("browser", ["en", "zh-hans"], indirect=True)
def test_complaint_filed_replied_and_confirmed(
    live_server: Any, transactional_db: Any, browser: Any
) -> None:
    page, language = browser
    words = WORDS[language]
    world = build_world()
    staff = world.users["service"]
    staff.set_password(PASSWORD)
    staff.save()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The customer, on a phone, from the link in a message.
    token = form_token(customer_id=world.own_customer.pk)
    page.goto(f"{live_server.url}/f/{token}/")
    assert page.inner_text("h1") == words["form"]
    assert fits_width(page)
    screenshot(page, f"feedback-form-{language}-390")
    page.check("input[name=category][value=complaint]")
    page.fill("#id_text", "快递三天还没到 <b>急</b>")
    page.click("#feedback-send")
    page.wait_for_url(f"{live_server.url}/f/t/**")
    customer_url = page.url
    assert page.inner_text("#public-status") == words["new"]
    assert "快递三天还没到 <b>急</b>" in page.inner_text("#public-text")
    ticket = Ticket.objects.get()

    # Service staff, on a desktop.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "service")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/feedback/")
    screenshot(page, f"feedback-inbox-{language}-1280")
    page.click(f"tr[data-ticket='{ticket.pk}'] a")
    page.wait_for_url(f"{live_server.url}/feedback/{ticket.pk}/")
    page.click("button[data-template=apology]")
    assert words["apology"] in page.input_value("#id_text")
    page.click("#reply-send")
    page.wait_for_url(f"{live_server.url}/feedback/{ticket.pk}/")
    assert page.inner_text("#ticket-status") == words["acknowledged"]
    page.select_option("#id_status", "solved")
    page.click("#status-save")
    page.wait_for_url(f"{live_server.url}/feedback/{ticket.pk}/")
    assert page.inner_text("#ticket-status") == words["solved"]
    assert fits_width(page)
    screenshot(page, f"feedback-ticket-{language}-1280")
    page.goto(f"{live_server.url}/feedback/report/")
    page.wait_for_selector("#chart-category svg")
    assert page.inner_text("#stat-opened") == "1"
    screenshot(page, f"feedback-report-{language}-1280")

    # The customer confirms on their phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(customer_url)
    assert words["apology"] in page.inner_text("#public-thread")
    assert page.inner_text("#public-status") == words["solved"]
    page.click("#confirm-solved")
    page.wait_for_url(customer_url)
    assert page.inner_text("#public-status") == words["confirmed"]
    assert page.inner_text("#public-ended") == words["closed"]
    assert fits_width(page)
    screenshot(page, f"feedback-confirmed-{language}-390")
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.status == "confirmed"
    assert stored.first_reply_at is not None
    assert errors == []


TRIAGE = {"en": "E-mail triage", "zh-hans": "待分拣邮件"}


@pytest.mark.parametrize("browser", ["en", "zh-hans"], indirect=True)
def test_email_triage_from_the_inbox_on_desktop_and_phone(
    live_server: Any, transactional_db: Any, browser: Any
) -> None:
    import datetime as dt

    from guanxi.feedback.models import InboundMail

    page, language = browser
    world = build_world()
    staff = world.users["service"]
    staff.set_password(PASSWORD)
    staff.save()
    InboundMail.objects.create(
        message_key="t" * 64,
        received_at=dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC),
        outcome=InboundMail.Outcome.TRIAGE,
        sender="a.very.long.sender.address.for.wrapping@example-shop-customer.net",
        subject="请问批发价格 <b>急</b>",
        text="你好，我想批量采购 200 盒龙井，请问有没有折扣？" * 3,
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "service")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/feedback/")
    page.click("#triage-link")
    page.wait_for_url(f"{live_server.url}/feedback/inbound/")
    assert page.inner_text("h1") == TRIAGE[language]
    assert "<b>急</b>" in page.inner_text("#inbound-triage")
    screenshot(page, f"feedback-triage-{language}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert fits_width(page)
    screenshot(page, f"feedback-triage-{language}-390")
