"""In Chromium, both languages, desktop and phone width: an admin adds the
shipped playbooks, switches one on, sees who would enter and, after a run,
who is at which step."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.browser import chromium_page, fits_width, screenshot

from guanxi.access.choices import Role

pytestmark = [pytest.mark.browser]

PASSWORD = "longjing-7-pass"


@pytest.fixture
def browser_page(request: Any) -> Iterator[Any]:
    width = getattr(request, "param", 1280)
    with chromium_page(
        timeout_ms=15_000,
        locale="en-US",
        extra_http_headers={"Accept-Language": "en"},
        viewport={"width": width, "height": 900},
    ) as page:
        yield page


@pytest.mark.parametrize("browser_page", [1280, 390], indirect=True)
def test_an_admin_switches_on_a_playbook_and_sees_it_run(
    live_server: Any, transactional_db: Any, browser_page: Any
) -> None:
    from guanxi.access.services import staff_user_create
    from guanxi.customers.models import Customer
    from guanxi.customers.services import customer_apply_contact
    from guanxi.journeys.models import Journey
    from guanxi.journeys.services import journeys_run

    staff_user_create(username="boss", password=PASSWORD, role=Role.ADMIN)
    page = browser_page
    width = page.viewport_size["width"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/journeys/")
    assert "No journeys yet." in page.inner_text("#journey-list")
    page.click("#add-playbooks")
    page.wait_for_url(f"{live_server.url}/journeys/")
    assert "Welcome on sign-up" in page.inner_text("#journey-list")
    assert fits_width(page)
    screenshot(page, f"journeys-en-{width}")

    page.click("a[href='/journeys/welcome/']")
    page.wait_for_url(f"{live_server.url}/journeys/welcome/")
    assert page.inner_text("#journey-state") == "Off"
    page.click("#switch")
    page.wait_for_url(f"{live_server.url}/journeys/welcome/")
    assert page.inner_text("#journey-state") == "On"
    assert Journey.objects.get(slug="welcome").state == "on"

    customer = Customer(name="王芳", phone="+8613900000001", email="wf@example.com")
    customer_apply_contact(customer)
    customer.save()
    page.click("#dry-run")
    page.wait_for_url(f"{live_server.url}/journeys/welcome/dry-run/")
    assert page.inner_text("#dry-enter") == "1"
    assert page.inner_text("#dry-sample") == f"#{customer.pk}"
    assert fits_width(page)
    screenshot(page, f"journey-dry-run-en-{width}")

    journeys_run()
    page.goto(f"{live_server.url}/journeys/welcome/")
    flow = page.inner_text("#journey-flow")
    assert "Send the template journey-welcome" in flow
    assert "Add the tag 新人" in flow
    assert f"#{customer.pk}" in page.inner_text("#journey-recent")
    assert fits_width(page)
    screenshot(page, f"journey-en-{width}")

    page.click("button[lang=zh-hans]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "新客欢迎"
    assert "触发：新建客户" in page.inner_text("#journey-trigger")
    assert "添加标签 新人" in page.inner_text("#journey-flow")
    assert fits_width(page)
    screenshot(page, f"journey-zh-{width}")
    page.goto(f"{live_server.url}/journeys/")
    assert "新客欢迎" in page.inner_text("#journey-list")
    screenshot(page, f"journeys-zh-{width}")
    assert errors == []
