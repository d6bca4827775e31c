"""The template editor and the send screen in Debian's Chromium, in English
at 1280 px and in Chinese at 390 px: a bad variable is named with its line
while typing, the preview shows a real customer's message, the template
saves, and the send screen counts who will get it and who is suppressed and
why, then reaches the confirmation and queues."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.browser import chromium_page, fits_width, screenshot
from tests.outbox import consent_set

from guanxi.access.choices import Role
from guanxi.messaging.models import Broadcast, Template

pytestmark = [pytest.mark.browser]

TEXTS = {
    "en": {
        "error": "English body: Line 2: unknown variable 'nmae'",
        "who": "For customer {pk}, in their language.",
        "chosen": "sent in this language",
        "queue": "Queue 1 message",
        "done": "Queued 1 messages; 2 suppressed.",
        "no_consent": "— No marketing consent for the channel",
    },
    "zh-hans": {
        "error": "英文正文：第 2 行：未知变量 'nmae'",
        "who": "客户 {pk}，使用其语言。",
        "chosen": "以此语言发送",
        "queue": "排队发送 1 条消息",
        "done": "已排队 1 条消息；2 条被抑制。",
        "no_consent": "— 该渠道没有营销同意",
    },
}


@pytest.fixture(params=[("en", 1280), ("zh-hans", 390)], ids=["en-1280", "zh-390"])
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


def test_write_preview_and_send_a_template(
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
    consent_set(wang, evidence="store form 3")
    make_customer(name="李雷", email="li@example.com")
    make_customer(name="赵敏")
    user = make_user(Role.OPERATIONS, username="marketing")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "guanxi-test-pass")
    page.click("form[action$='/login/'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/messages/templates/")
    page.click("#new-template")
    page.wait_for_url(f"{live_server.url}/messages/templates/new/")
    _settled(page)
    page.fill("#id_name", "春茶 spring tea")
    page.select_option("#id_channel", "email")
    page.select_option("#id_purpose", "marketing")
    page.fill("#id_subject_zh", "{{ name }}，明前龙井到了")
    page.fill("#id_body_zh", "{{ name }}您好：\n{{ city }}店新茶已到。")
    page.fill("#id_subject_en", "Spring tea, {{ name }}")
    # A misspelt variable is named with its part and line while typing.
    page.fill("#id_body_en", "Dear {{ name }},\n{{ nmae }}")
    _shows(page, "#preview-error", texts["error"])
    _settled(page)
    page.fill("#id_body_en", "Dear {{ name }},\nthe spring tea is in {{ city }}.")
    page.fill("#id_customer", str(wang.pk))
    _shows(page, "#preview-who", texts["who"].format(pk=wang.pk))
    _settled(page)
    chosen = page.inner_text("article.chosen")
    assert texts["chosen"] in chosen
    assert "王芳，明前龙井到了" in chosen
    assert "王芳您好：\n杭州店新茶已到。" in chosen
    assert "Dear 王芳,\nthe spring tea is in 杭州." in page.inner_text(
        "article[data-language='en']"
    )
    assert fits_width(page), f"the editor scrolls sideways at {width} px"
    screenshot(page, f"template-editor-{language}-{width}")

    page.click("#save-template")
    saved = Template.objects.get(name="春茶 spring tea")
    page.wait_for_url(f"{live_server.url}/messages/templates/{saved.pk}/")
    assert saved.body_en == "Dear {{ name }},\nthe spring tea is in {{ city }}."

    page.goto(f"{live_server.url}/messages/send/")
    _settled(page)
    page.select_option("#id_template", str(saved.pk))
    _shows(page, "#count-queued", "1")
    _settled(page)
    assert page.inner_text("#count-suppressed .n") == "2"
    assert texts["no_consent"] in page.inner_text("#send-counts")
    assert fits_width(page), f"the send screen scrolls sideways at {width} px"
    screenshot(page, f"send-{language}-{width}")

    page.click("#review-send")
    page.wait_for_selector("#confirm-send")
    assert page.inner_text("#confirm-send") == texts["queue"]
    assert fits_width(page), f"the confirmation scrolls sideways at {width} px"
    screenshot(page, f"send-confirm-{language}-{width}")
    assert Broadcast.objects.count() == 0

    page.click("#confirm-send")
    page.wait_for_url(f"{live_server.url}/messages/send/")
    _shows(page, ".messages", texts["done"])
    assert Broadcast.objects.get().body == saved.body_zh
    assert errors == []
