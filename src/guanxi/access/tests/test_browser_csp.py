"""The pages work under their Content-Security-Policy in a real browser (the
other browser tests bypass it, as Playwright's waits evaluate code): no
violation is reported, htmx swaps fragments in, the charts' scripts run, the
API docs render, and a field with data-select-on-click selects its value."""

from __future__ import annotations

from typing import Any

import pytest
from tests.browser import chromium_page

from guanxi.access.choices import Role

pytestmark = [pytest.mark.browser]


def test_pages_under_the_policy(
    live_server: Any, transactional_db: Any, make_user: Any
) -> None:
    make_user(Role.ADMIN, username="boss")
    base = live_server.url
    reports: list[str] = []
    with chromium_page(timeout_ms=20_000, bypass_csp=False) as page:
        page.on("console", lambda message: reports.append(message.text))
        page.on("pageerror", lambda error: reports.append(str(error)))
        page.goto(f"{base}/login/")
        page.fill("#id_username", "boss")
        page.fill("#id_password", "guanxi-test-pass")
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{base}/")
        # The order figures arrive through htmx (hx-get on load).
        page.wait_for_selector("#dashboard-orders:not([hx-get])")
        page.goto(f"{base}/account/")
        page.click("#token-create")
        page.wait_for_selector("#new-token")
        page.click("#new-token")
        selected = page.evaluate(
            "() => { const f = document.getElementById('new-token');"
            " return [f.selectionStart, f.selectionEnd, f.value.length]; }"
        )
        assert selected[0] == 0 and selected[1] == selected[2] > 0
        page.goto(f"{base}/api/v1/docs/")
        page.wait_for_selector("#swagger-ui .swagger-ui")
        page.goto(f"{base}/customers/")
        page.wait_for_load_state("networkidle")
    violations = [
        text for text in reports if "Content Security Policy" in text or "CSP" in text
    ]
    assert violations == []
