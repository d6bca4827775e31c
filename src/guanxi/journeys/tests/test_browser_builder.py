"""In Chromium, both languages, desktop and phone width: an admin builds a
small journey in the builder, switches it on and sees it run; the journey
report draws its charts under the Content-Security-Policy and fits."""

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
    with chromium_page(
        timeout_ms=15_000,
        locale="en-US",
        extra_http_headers={"Accept-Language": "en"},
        viewport={"width": getattr(request, "param", 1280), "height": 900},
    ) as page:
        yield page


def _login(page: Any, url: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{url}/")


def _submit(page: Any, selector: str) -> None:
    """Click a submit button of the builder and wait for the page it posts to."""
    with page.expect_navigation():
        page.click(selector)


def _build(page: Any, slug: str, name: str, tag: str) -> None:
    """A journey: on sign-up, a city condition; Shanghai customers get a tag."""
    page.fill("#b-slug", slug)
    page.fill("#b-name_zh", name)
    page.fill("#b-name_en", name)
    page.fill("#b-holdout", "0")
    page.select_option("#t-event", "customer_created")
    page.fill("#s-0-id", "city")
    page.select_option("#s-0-type", "condition")
    assert page.is_visible("#s-0-field") and not page.is_visible("#s-0-days")
    page.select_option("#s-0-field", "city")
    page.select_option("#s-0-op", "eq")
    page.fill("#s-0-value", "上海")
    page.select_option("#s-0-else", "-end-")
    _submit(page, "#add-step")
    page.fill("#s-1-id", "tag")
    page.select_option("#s-1-type", "add_tag")
    page.fill("#s-1-tag", tag)


@pytest.mark.parametrize("browser_page", [1280, 390], indirect=True)
def test_an_admin_builds_a_journey_and_sees_it_run(
    live_server: Any, transactional_db: Any, browser_page: Any
) -> None:
    from guanxi.access.services import staff_user_create
    from guanxi.customers.models import Customer
    from guanxi.customers.services import customer_apply_contact
    from guanxi.journeys.models import Journey
    from guanxi.journeys.services import journeys_run

    staff_user_create(username="boss", password=PASSWORD, role=Role.ADMIN)
    page = browser_page
    url = live_server.url
    width = page.viewport_size["width"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, url)
    page.goto(f"{url}/journeys/")
    page.click("#new-journey")
    page.wait_for_url(f"{url}/journeys/new/")
    _build(page, "hello-en", "Hello", "shanghai")
    page.fill("#s-1-tag", "")
    _submit(page, "#check")
    assert page.inner_text("#s-1-error") == (
        'Step "tag": name the tag (at most 64 characters).'
    )
    assert not Journey.objects.exists()
    page.fill("#s-1-tag", "shanghai")
    _submit(page, "#check")
    preview = page.inner_text("#builder-preview")
    assert "If city eq 上海" in preview and "yes → tag" in preview
    assert "no → end" in preview
    assert fits_width(page)
    screenshot(page, f"journey-builder-en-{width}")
    _submit(page, "#save")
    assert page.url == f"{url}/journeys/hello-en/"
    page.click("#switch")
    page.wait_for_url(f"{url}/journeys/hello-en/")
    assert page.inner_text("#journey-state") == "On"

    def customers() -> None:
        for city in ("上海", "北京"):
            customer = Customer(name="王芳", city=city)
            customer_apply_contact(customer)
            customer.save()

    customers()
    journeys_run()
    page.goto(f"{url}/journeys/hello-en/")
    assert "Tag added: 1" in page.inner_text("#step-tag")
    assert "Condition met: 1" in page.inner_text("#step-city")
    assert "Condition not met: 1" in page.inner_text("#step-city")

    # In Chinese: a second journey, a refusal in Chinese next to its step.
    page.click("button[lang=zh-hans]")
    page.wait_for_load_state()
    page.goto(f"{url}/journeys/new/")
    assert page.inner_text("h1") == "新建旅程"
    _build(page, "hello-zh", "你好", "上海客")
    page.select_option("#s-1-type", "wait")
    page.fill("#s-1-days", "")
    _submit(page, "#save")
    assert page.inner_text("#s-1-error") == (
        "步骤“tag”：等待需要时长（天、小时或分钟；最多一年）。"
    )
    assert not Journey.objects.filter(slug="hello-zh").exists()
    assert fits_width(page)
    screenshot(page, f"journey-builder-zh-{width}")
    page.select_option("#s-1-type", "add_tag")
    _submit(page, "#save")
    assert page.url == f"{url}/journeys/hello-zh/"
    assert page.inner_text("h1") == "你好"
    page.click("#switch")
    page.wait_for_url(f"{url}/journeys/hello-zh/")
    customers()
    journeys_run()
    page.goto(f"{url}/journeys/hello-zh/")
    assert "已添加标签: 1" in page.inner_text("#step-tag")
    assert "满足条件: 1" in page.inner_text("#step-city")
    assert errors == []


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
    assert fits_width(page)
    screenshot(page, f"journey-report-en-{width}")

    page.click("button[lang=zh-hans]")
    page.wait_for_load_state()
    assert "旅程效果报告" in page.inner_text("h1")
    assert "高于对照组。" in page.inner_text("#verdict-conversion")
    page.wait_for_selector("#chart-steps svg")
    assert fits_width(page)
    screenshot(page, f"journey-report-zh-{width}")
    assert errors == []
