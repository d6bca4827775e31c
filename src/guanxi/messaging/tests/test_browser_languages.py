"""The customer's language and time zone, and sending to the ticked customers,
in Debian's Chromium (English at 1280 px, Chinese at 390 px): set on the form,
shown on the profile; customers ticked on the list become the send screen's
audience, which says how many get each language, then queues."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from tests.browser import chromium_page, fits_width, screenshot

from guanxi.access.choices import Role
from guanxi.customers.models import Customer
from guanxi.messaging.models import Broadcast, Message
from guanxi.messaging.stored import TemplateFields, template_save

pytestmark = [pytest.mark.browser]

TEXTS = {
    "en": {
        "audience": "The 2 ticked customers",
        "one": "1 customer gets it",
        "queue": "Queue 2 messages",
        "done": "Queued 2 messages; 0 suppressed.",
        "english": "English",
    },
    "zh-hans": {
        "audience": "勾选的 2 位客户",
        "one": "1 位客户收到此版本",
        "queue": "排队发送 2 条消息",
        "done": "已排队 2 条消息；0 条被抑制。",
        "english": "英文",
    },
}
SIZES = [
    (language, width)
    for language in ("en", "zh-hans")
    for width in (1280, 390)
    if os.environ.get("GUANXI_SCREENSHOTS") or (language == "en") == (width == 1280)
]


@pytest.fixture(params=SIZES, ids=[f"{lang}-{w}" for lang, w in SIZES])
def browser(request: Any) -> Iterator[tuple[Any, str]]:
    language, width = request.param
    with chromium_page(
        timeout_ms=20_000,
        locale="en-US" if language == "en" else "zh-CN",
        extra_http_headers={"Accept-Language": language},
        viewport={"width": width, "height": 900},
    ) as page:
        yield page, language


def _settled(page: Any) -> None:
    page.wait_for_function(
        "() => !document.querySelector('.htmx-added, .htmx-request, .htmx-settling')",
        polling=50,
    )


def _shows(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.innerText || '').includes(t)",
        arg=[selector, text],
        polling=100,
    )


def test_language_on_the_form_and_sending_to_the_ticked(
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    make_customer: Any,
    settings: Any,
    browser: tuple[Any, str],
) -> None:
    page, language = browser
    texts = TEXTS[language]
    width = page.viewport_size["width"]
    settings.GUANXI_EMAIL_URL = "smtp://127.0.0.1:2525"  # nothing is sent here
    wang = make_customer(name="王芳", email="wang@example.com", city="杭州")
    anna = make_customer(name="Anna", email="anna@example.com")
    make_customer(name="赵敏", email="zhao@example.com")
    admin = make_user(Role.ADMIN, username="owner")
    template = template_save(
        actor=admin,
        fields=TemplateFields(
            name="notice",
            channel="email",
            purpose="service",
            subject_zh="{{ name }}，您的订单已发货",
            body_zh="{{ name }}您好：订单已发货。",
            subject_en="Your order is on its way, {{ name }}",
            body_en="Dear {{ name }}, your order is on its way.",
        ),
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", "guanxi-test-pass")
    page.click("form[action$='/login/'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    # Anna reads English, in Berlin.
    page.goto(f"{live_server.url}/customers/{anna.pk}/edit/")
    _settled(page)
    page.select_option("#id_language", "en")
    page.fill("#id_time_zone", "europe/berlin")
    assert fits_width(page), f"the form scrolls sideways at {width} px"
    screenshot(page, f"customer-form-language-{language}-{width}")
    page.click("#save-customer")
    page.wait_for_url(f"{live_server.url}/customers/{anna.pk}/")
    assert page.inner_text("#customer-language") == texts["english"]
    assert page.inner_text("#customer-time-zone") == "Europe/Berlin"
    assert fits_width(page), f"the profile scrolls sideways at {width} px"
    screenshot(page, f"customer-profile-language-{language}-{width}")
    anna.refresh_from_db()
    assert (anna.language, anna.time_zone) == ("en", "Europe/Berlin")

    # Tick Wang and Anna on the list and send them a message.
    page.goto(f"{live_server.url}/customers/")
    _settled(page)
    page.check(f"input[name=ids][value='{wang.pk}']")
    page.check(f"input[name=ids][value='{anna.pk}']")
    page.click("#bulk-send")
    page.wait_for_url(f"{live_server.url}/messages/send/")
    _settled(page)
    assert page.inner_text("#id_audience option:checked") == texts["audience"]
    page.select_option("#id_template", str(template.pk))
    _shows(page, "#count-queued", "2")
    _settled(page)
    for code in ("zh-hans", "en"):
        assert texts["one"] in page.inner_text(f"article[data-language='{code}'] h3")
    assert fits_width(page), f"the send screen scrolls sideways at {width} px"
    screenshot(page, f"send-ticked-{language}-{width}")
    page.click("#review-send")
    page.wait_for_selector("#confirm-send")
    assert page.inner_text("#confirm-send") == texts["queue"]
    assert fits_width(page), f"the confirmation scrolls sideways at {width} px"
    screenshot(page, f"send-ticked-confirm-{language}-{width}")
    page.click("#confirm-send")
    page.wait_for_url(f"{live_server.url}/messages/send/")
    _shows(page, ".messages", texts["done"])
    assert Broadcast.objects.get().audience == "selected:2"
    assert sorted(Message.objects.values_list("customer_id", flat=True)) == sorted(
        [wang.pk, anna.pk]
    )
    assert Customer.objects.count() == 3
    assert errors == []
