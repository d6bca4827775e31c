"""In a real browser: an admin sets the webhook on the channels page, in
Chinese on a 390 px phone and in English on a desktop; the secret is never
shown back and the page does not scroll sideways."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from tests.browser import chromium_page

from guanxi.access.choices import Role
from guanxi.messaging.channel_settings import channel_setting, channel_settings_forget

pytestmark = [pytest.mark.browser]
SECRET = "hook-secret-4711"
SAVED = {
    "zh-CN": "已保存Webhook设置（GUANXI_WEBHOOK_URL, GUANXI_WEBHOOK_SECRET）。",
    "en-US": "Saved the Webhook settings (GUANXI_WEBHOOK_URL, GUANXI_WEBHOOK_SECRET).",
}
REFUSED = {
    "zh-CN": "GUANXI_WEBHOOK_URL 必须是 https:// 开头的 URL。",
    "en-US": "GUANXI_WEBHOOK_URL must be an https:// URL.",
}


@pytest.mark.parametrize(("locale", "width"), [("zh-CN", 390), ("en-US", 1280)])
def test_an_admin_sets_the_webhook_and_never_sees_the_secret_again(
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    settings: Any,
    locale: str,
    width: int,
) -> None:
    settings.GUANXI_WEBHOOK_URL = ""
    settings.GUANXI_WEBHOOK_SECRET = ""
    settings.GUANXI_EMAIL_URL = "smtp://127.0.0.1:2525"  # from the environment
    channel_settings_forget()
    make_user(Role.ADMIN, username="boss")
    shots = os.environ.get("GUANXI_SCREENSHOTS", "")
    with chromium_page(
        timeout_ms=20_000, locale=locale, viewport={"width": width, "height": 900}
    ) as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "boss")
        page.fill("#id_password", "guanxi-test-pass")
        page.click("form[action$='/login/'] button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/messages/channels/")
        assert page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        ), "the channels page scrolls sideways"
        assert page.locator("#env-GUANXI_EMAIL_URL").count() == 1
        assert page.locator("input[name=GUANXI_EMAIL_URL]").count() == 0
        page.fill("#id-GUANXI_WEBHOOK_URL", "http://hooks.example.com/in")
        page.fill("#id-GUANXI_WEBHOOK_SECRET", SECRET)
        page.click("#channel-webhook-save")
        page.wait_for_selector("#channel-webhook-error")
        assert page.inner_text("#channel-webhook-error") == REFUSED[locale]
        channel_settings_forget()
        assert channel_setting("GUANXI_WEBHOOK_SECRET") == ""
        page.fill("#id-GUANXI_WEBHOOK_URL", "https://hooks.example.com/in")
        page.fill("#id-GUANXI_WEBHOOK_SECRET", SECRET)
        page.click("#channel-webhook-save")
        page.wait_for_selector(".message.success")
        assert page.inner_text(".message.success") == SAVED[locale]
        assert SECRET not in page.content()
        assert page.locator("#channel-changes tbody tr").count() == 2
        assert page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        ), "the channels page scrolls sideways"
        if shots:
            page.screenshot(
                path=str(Path(shots) / f"channels-{locale}-{width}.png"), full_page=True
            )
    channel_settings_forget()
    assert channel_setting("GUANXI_WEBHOOK_SECRET") == SECRET
