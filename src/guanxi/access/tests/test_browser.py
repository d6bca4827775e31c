"""In a real browser, in both languages, on a desktop and at 390 px: an admin
adds a colleague, who sets a password through the one-time link and logs in,
changes it (a weak one refused first) and their language, then creates,
rotates and revokes a REST API token — the API refuses the old key after the
rotation. Debian's Chromium driven by Playwright against pytest-django's live
server; the API is called over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from tests.browser import chromium_page

from guanxi.access.choices import Role
from guanxi.access.models import StaffProfile

pytestmark = [pytest.mark.browser]


TEXTS = {
    "en-US": {
        "weak": "This password is too short. It must contain at least 8 characters.",
        "changed": "Your password was changed.",
        "other_language": "zh-hans",
        "saved_in_other": "语言已保存。",
        "no_token": "You have no API token.",
        "set": "Your password is set. Log in with it now.",
    },
    "zh-CN": {
        "weak": "密码长度太短。密码必须包含至少 8 个字符。",
        "changed": "密码已修改。",
        "other_language": "en",
        "saved_in_other": "Your language was saved.",
        "no_token": "你还没有 API 令牌。",
        "set": "密码已设置，现在请用它登录。",
    },
}
SIZES = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}


def _api_status(base: str, key: str) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/customers/", headers={"Authorization": f"Token {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            json.load(response)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form[action$='/login/'] button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("locale", list(TEXTS))
def test_a_new_colleague_joins_and_manages_their_account(
    locale: str, size: str, live_server: Any, transactional_db: Any, make_user: Any
) -> None:
    texts = TEXTS[locale]
    base = live_server.url
    make_user(Role.ADMIN, username="boss")
    options = {"locale": locale, "viewport": SIZES[size]}
    with chromium_page(timeout_ms=20_000, **options) as page:
        _login(page, base, "boss", "guanxi-test-pass")
        # The team is one click away in the user menu, on a phone too.
        page.click(".usermenu summary")
        page.click(".usermenu-panel a[href='/settings/team/']")
        page.fill("#new-username", "xiaomei")
        page.fill("#new-first-name", "小美")
        page.select_option("#new-role", "account_manager")
        page.click("#member-add button[type=submit]")
        link = page.locator("#link-value").input_value()
        assert link.startswith(f"{base}/welcome/")
        assert (
            page.evaluate("document.documentElement.scrollWidth")
            <= SIZES[size]["width"]
        )

    with chromium_page(timeout_ms=20_000, **options) as page:
        page.goto(link)
        page.fill("#id_password", "Maojian-2026")
        page.fill("#id_password_again", "Maojian-2026")
        page.click("#password-set button[type=submit]")
        page.wait_for_url(f"{base}/login/")
        assert texts["set"] in page.inner_text(".messages")
        _login(page, base, "xiaomei", "Maojian-2026")

        # A used link is refused.
        page.goto(link)
        assert page.locator("#form-error").count() == 1

        page.goto(f"{base}/account/")
        page.fill("#current-password", "Maojian-2026")
        page.fill("#new-password", "Mj-1")
        page.fill("#new-password-again", "Mj-1")
        page.click("#account-password button[type=submit]")
        assert texts["weak"] in page.inner_text("#form-error")
        page.fill("#current-password", "Maojian-2026")
        page.fill("#new-password", "Biluochun-2027")
        page.fill("#new-password-again", "Biluochun-2027")
        page.click("#account-password button[type=submit]")
        assert texts["changed"] in page.inner_text(".messages")

        # Token: created and shown once, rotated, revoked.
        assert texts["no_token"] in page.inner_text("#token-info")
        page.click("#token-create")
        first = page.locator("#new-token").input_value()
        assert _api_status(base, first) == 200
        page.reload()
        assert page.locator("#new-token").count() == 0
        assert f"{first[:10]}…" in page.inner_text("#token-info")
        page.click("#token-rotate")
        second = page.locator("#new-token").input_value()
        assert second != first
        assert _api_status(base, first) == 401
        assert _api_status(base, second) == 200
        page.click("#token-revoke")
        page.wait_for_selector("#token-create")
        assert _api_status(base, second) == 401

        # The other language, kept for the next login.
        page.select_option("#account-language-select", texts["other_language"])
        page.click("#account-language button[type=submit]")
        assert texts["saved_in_other"] in page.inner_text(".messages")
        assert (
            page.evaluate("document.documentElement.scrollWidth")
            <= SIZES[size]["width"]
        )

    user = get_user_model().objects.get(username="xiaomei")
    assert user.check_password("Biluochun-2027")
    assert StaffProfile.objects.get(user=user).language == texts["other_language"]
    assert (user.first_name, user.staff_profile.role) == ("小美", "account_manager")

    # A fresh browser in the first language gets the chosen one at login.
    with chromium_page(timeout_ms=20_000, **options) as page:
        _login(page, base, "xiaomei", "Biluochun-2027")
        lang = page.evaluate("document.documentElement.lang")
        assert lang == texts["other_language"]
