"""In a real browser, in both languages, on a desktop and at 390 px: a
colleague sets up two-step login from their account page (the QR code drawn
by the server, the key typed from the page into the code computation, as an
app would), gets their recovery codes once, and logs in again with password
and code — a wrong code refused with its message first."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from tests.browser import chromium_page

from guanxi.access.choices import Role
from guanxi.access.models import RecoveryCode, TotpDevice
from guanxi.access.twofactor import STEP, totp_code

pytestmark = [pytest.mark.browser]

PASSWORD = "guanxi-test-pass"
TEXTS = {
    "en-US": {
        "on": "Two-step login is on.",
        "wrong": (
            "That code is not right: type the 6 digits your app shows now, "
            "or one of your recovery codes."
        ),
        "left": "10 recovery codes left.",
    },
    "zh-CN": {
        "on": "两步登录已开启。",
        "wrong": "验证码不正确：请输入验证器应用当前显示的 6 位数字，或一个恢复码。",
        "left": "剩余 10 个恢复码。",
    },
}
SIZES = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}
SHOTS = Path("/tmp/guanxi-screens")


def _fits(page: Any, size: str) -> bool:
    width = page.evaluate("document.documentElement.scrollWidth")
    return bool(width <= SIZES[size]["width"])


def _password(page: Any, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", "li")
    page.fill("#id_password", PASSWORD)
    page.click("form[action$='/login/'] button[type=submit]")


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("locale", list(TEXTS))
def test_a_colleague_sets_up_two_step_login_and_logs_in_with_it(
    locale: str, size: str, live_server: Any, transactional_db: Any, make_user: Any
) -> None:
    texts = TEXTS[locale]
    base = live_server.url
    user = make_user(Role.SERVICE, username="li")
    SHOTS.mkdir(exist_ok=True)
    options = {"locale": locale, "viewport": SIZES[size]}
    with chromium_page(timeout_ms=20_000, **options) as page:
        _password(page, base)
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/account/")
        page.click("#two-factor-link")
        page.wait_for_url(f"{base}/account/two-factor/")
        page.click("#two-factor-start")
        page.wait_for_selector("#totp-qr svg")
        page.screenshot(path=str(SHOTS / f"two-factor-setup-{locale}-{size}.png"))
        assert _fits(page, size)
        secret = page.locator("#totp-secret").input_value().replace(" ", "")
        assert secret == TotpDevice.objects.get(user=user).secret
        page.fill("#id_code", totp_code(secret, time.time()))
        page.click("#two-factor-confirm")
        page.wait_for_selector("#recovery-codes")
        assert texts["on"] in page.inner_text(".messages")
        assert page.locator("#recovery-codes li").count() == 10
        assert texts["left"] in page.inner_text("#codes-left")
        page.screenshot(path=str(SHOTS / f"two-factor-codes-{locale}-{size}.png"))
        assert _fits(page, size)

    with chromium_page(timeout_ms=20_000, **options) as page:
        _password(page, base)
        page.wait_for_url(f"{base}/login/code/")
        page.fill("#id_code", "000000")
        page.click("#login-code button[type=submit]")
        assert texts["wrong"] in page.inner_text("#form-error")
        page.screenshot(path=str(SHOTS / f"login-code-{locale}-{size}.png"))
        assert _fits(page, size)
        # The next time step's code: the enrolment used this one's.
        page.fill("#id_code", totp_code(secret, time.time() + STEP))
        page.click("#login-code button[type=submit]")
        page.wait_for_url(f"{base}/")
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=True).count() == 10
