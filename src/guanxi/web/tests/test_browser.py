"""The web shell in Debian's Chromium: log in, search by phone with htmx, open the
customer, switch the language, log out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.access import build_world
from tests.browser import chromium_page

pytestmark = [pytest.mark.browser]


@pytest.fixture
def browser_page() -> Iterator[Any]:
    with chromium_page(
        timeout_ms=15_000,
        locale="en-US",
        extra_http_headers={"Accept-Language": "en"},
    ) as page:
        yield page


def test_log_in_search_by_phone_open_customer_switch_language(
    live_server: Any, transactional_db: Any, browser_page: Any
) -> None:
    world = build_world()
    manager = world.users["account_manager"]
    manager.set_password("tieguanyin-7-pass")
    manager.save()
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server.url}/customers/")
    assert page.url == f"{live_server.url}/login/?next=/customers/"
    page.fill("#id_username", "account_manager")
    page.fill("#id_password", "tieguanyin-7-pass")
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/customers/")
    assert page.inner_text("h1") == "Customers"
    assert page.locator("table.list tbody tr").count() == 1  # own customer only

    # Typing in the search box updates the results in place (htmx) and the URL.
    page.fill("#id_q", "+86 138-0013-8000")
    page.wait_for_url("**/customers/?q=*")
    rows = page.locator("#customer-results table.list tbody tr")
    assert rows.count() == 1
    assert "王芳" in rows.first.inner_text()
    page.fill("#id_q", "13900139000")  # another manager's customer: not found
    page.wait_for_function(
        "document.querySelector('#customer-results').innerText"
        ".includes('No customers found.')"
    )

    page.fill("#id_q", "王芳")
    page.wait_for_function(
        "document.querySelector('#customer-results').innerText.includes('王芳')"
    )
    page.click("#customer-results >> text=王芳")
    page.wait_for_url(f"{live_server.url}/customers/{world.own_customer.pk}/")
    profile = page.inner_text(".c360")
    assert "+8613800138000" in profile
    assert "A-1001" in profile
    assert "Store visit" in profile

    page.click("button[lang=zh-hans]")
    page.wait_for_load_state()
    assert page.inner_text(".c360-profile h2") == "资料"
    assert page.url == f"{live_server.url}/customers/{world.own_customer.pk}/"

    page.click(".usermenu summary")
    page.click(".usermenu button")
    page.wait_for_url(f"{live_server.url}/login/")
    assert errors == []
