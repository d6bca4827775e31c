"""The needs pages in Debian's Chromium, in both languages, on a desktop and
at a phone's 390 px: customer service opens Needs from the main bar, opens
the need most customers raised, marks it done, counts who would be told and
tells them."""

from __future__ import annotations

from typing import Any

import pytest
from tests.browser import (
    chromium_page,
    fits_width,
    page_log_in,
    screenshot,
)

from guanxi.access.choices import Role
from guanxi.feedback.models import Ticket
from guanxi.needs.models import Need, NeedNotice
from guanxi.needs.services import needs_mine

pytestmark = [pytest.mark.browser]

PASSWORD = "needs-7-pass"
TEXTS = {
    "en": {
        "locale": "en-US",
        "link": "Needs",
        "preview": "Would send to 3 customers; 0 were told before.",
        "sent": "3 customers will be told; 0 suppressed; 0 were told before.",
    },
    "zh-hans": {
        "locale": "zh-CN",
        "link": "需求清单",
        "preview": "将发送给 3 位客户；0 位之前已告知。",
        "sent": "将告知 3 位客户；0 位被屏蔽；0 位之前已告知。",
    },
}
WORDS = ["物流太慢了，等了一周", "物流慢，包装也坏了", "物流太慢，希望改进"]


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", list(TEXTS))
def test_service_marks_a_need_done_and_tells_its_customers(
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    make_customer: Any,
    smtp: Any,
    language: str,
    width: int,
) -> None:
    texts = TEXTS[language]
    user = make_user(Role.SERVICE, username="kefu")
    user.set_password(PASSWORD)
    user.save()
    for n, words in enumerate(WORDS):
        customer = make_customer(email=f"c{n}@example.com")
        Ticket.objects.create(
            customer=customer, category="complaint", channel="phone", text=words,
            source="staff", opened_at=customer.created_at,
            first_reply_due=customer.created_at, solve_due=customer.created_at,
        )  # fmt: skip
    needs_mine(min_documents=2)
    need = Need.objects.get(term="物流")
    base = live_server.url
    with chromium_page(
        timeout_ms=15_000,
        locale=texts["locale"],
        extra_http_headers={"Accept-Language": texts["locale"]},
        viewport={"width": width, "height": 900},
    ) as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page_log_in(page, base, username="kefu", password=PASSWORD)
        link = page.locator("nav a[href='/needs/']")
        assert link.text_content() == texts["link"]
        link.click()
        page.wait_for_url(f"{base}/needs/")
        assert page.locator("tr[data-need='物流']").count() == 1
        assert fits_width(page)
        screenshot(page, f"needs-list-{language}-{width}")
        page.click("tr[data-need='物流'] a")
        page.wait_for_url(f"{base}/needs/{need.pk}/")
        page.wait_for_selector("#need-trend svg")
        page.select_option("#id_status", "done")
        page.click("#status-save")
        page.wait_for_selector("#notify-form")
        page.click("#notify-preview-button")
        page.wait_for_selector("#notify-preview")
        assert page.inner_text("#notify-preview") == texts["preview"]
        assert NeedNotice.objects.count() == 0
        assert fits_width(page)
        screenshot(page, f"needs-detail-{language}-{width}")
        page.click("#notify-send")
        page.wait_for_selector(f"text={texts['sent']}")
        assert NeedNotice.objects.filter(need=need).count() == 3
        assert page.inner_text("#stat-told") == "3"
        assert errors == []
