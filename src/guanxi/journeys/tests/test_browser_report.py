"""In Chromium, both languages, desktop and phone width: the journey report
draws its charts under the Content-Security-Policy and fits the screen."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from tests.browser import chromium_page

from guanxi.access.choices import Role

pytestmark = [pytest.mark.browser]

PASSWORD = "longjing-7-pass"


@pytest.fixture
def browser_page(request: Any) -> Iterator[Any]:
    with chromium_page(
        timeout_ms=15_000,
        locale="en-US",
        extra_http_headers={"Accept-Language": "en"},
        viewport={"width": getattr(request, "param", 1280), "height": 900},
    ) as page:
        yield page


def _fits(page: Any) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("GUANXI_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


@pytest.mark.parametrize("browser_page", [1280, 390], indirect=True)
def test_the_report_draws_its_charts_in_both_languages(
    live_server: Any,
    transactional_db: Any,
    browser_page: Any,
    users: dict[str, Any],
    make_customer: Any,
    template: Any,
    make_journey: Any,
) -> None:
    from guanxi.access.services import staff_user_create
    from guanxi.journeys.tests.test_report import CHECKIN, _group

    journey = make_journey(CHECKIN, on=False)
    _group(users, make_customer, journey, n=40, buyers=12, holdout=False)
    _group(users, make_customer, journey, n=30, buyers=3, holdout=True)
    staff_user_create(username="boss", password=PASSWORD, role=Role.ADMIN)
    page = browser_page
    width = page.viewport_size["width"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" else None,
    )
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/journeys/test/")
    page.click("#report")
    page.wait_for_url(f"{live_server.url}/journeys/test/report/")
    page.fill("#report-start", "2026-11-01")
    page.fill("#report-end", "2026-11-30")
    page.click("#report-filter button")
    page.wait_for_url("**/report/?start=2026-11-01&end=2026-11-30&days=30")
    assert page.inner_text("#stat-entered") == "70"
    assert "Higher than the holdout group." in page.inner_text("#verdict-conversion")
    page.wait_for_selector("#chart-steps svg")
    page.wait_for_selector("#chart-series svg")
    assert _fits(page)
    _shot(page, f"journey-report-en-{width}")

    page.click("button[lang=zh-hans]")
    page.wait_for_load_state()
    assert "旅程效果报告" in page.inner_text("h1")
    assert "高于对照组。" in page.inner_text("#verdict-conversion")
    page.wait_for_selector("#chart-steps svg")
    assert _fits(page)
    _shot(page, f"journey-report-zh-{width}")
    assert errors == []
