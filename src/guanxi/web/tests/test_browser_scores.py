"""The customer 360 page and the dashboard with scores, in Debian's Chromium,
in both languages, on a desktop and at a phone's 390 px."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from tests.access import build_world
from tests.browser import chromium_page, fits_width

from guanxi.insights.figures import run_figures_write
from guanxi.insights.tests.factories import (
    make_run,
    make_snapshot,
    make_stage_change,
    playbook_defaults,
)

pytestmark = [pytest.mark.browser]

PASSWORD = "tieguanyin-7-pass"
FIRST = dt.date(2026, 10, 31)
SECOND = dt.date(2026, 11, 30)


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


def _scored_world() -> Any:
    world = build_world()
    playbook_defaults()
    manager = world.users["account_manager"]
    manager.set_password(PASSWORD)
    manager.save()
    for day, stage, risk in ((FIRST, "mature", 0.1), (SECOND, "at_risk", 0.62)):
        run = make_run(day)
        for customer, quadrant in (
            (world.own_customer, "star"),
            (world.foreign_customer, "basic"),
        ):
            make_snapshot(
                customer,
                day,
                stage=stage,
                quadrant=quadrant,
                days_since_last_purchase=45,
                mean_gap_days=12.0,
                p_alive=0.31,
                churn_risk=risk,
                churn_reasons=[
                    {"feature": "days_since_last_purchase", "value": 45, "effect": 0.3}
                ],
            )
        if day == SECOND:
            # A run records its stage changes before the figures are written
            # (insights.runs: changes, then run_finished).
            make_stage_change(world.own_customer, SECOND, "at_risk", "mature")
        run_figures_write(run=run)
    return world


def _log_in(page: Any, url: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("#id_username", "account_manager")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{url}/")


@pytest.mark.parametrize("browser_page", [1280, 390], indirect=True)
def test_the_360_page_explains_and_recommends_in_both_languages(
    live_server: Any, transactional_db: Any, browser_page: Any
) -> None:
    world = _scored_world()
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, live_server.url)
    page.goto(f"{live_server.url}/customers/{world.own_customer.pk}/")

    assert page.inner_text("#score-explanation") == (
        "At risk: no purchase for 45 days, usually buys every 12 days; P(alive) 0.31"
    )
    action = page.inner_text("#next-action")
    assert "Empathy call, with an offer matched to the reason" in action
    assert "Main reason to address: No purchase for 45 days." in action
    assert "Became at risk (was mature)" in page.inner_text("#timeline")
    # The chart over the two runs is drawn (ECharts' SVG renderer).
    page.wait_for_selector("#score-chart svg")
    assert page.locator("#score-chart svg path").count() > 3
    assert fits_width(page)

    page.click("button[lang=zh-hans]")
    page.wait_for_load_state()
    assert page.inner_text("#score-explanation") == (
        "流失风险：45 天未购买，通常每 12 天购买一次；存活概率 0.31"
    )
    assert "共情式关怀电话，按流失原因给出挽回权益" in page.inner_text("#next-action")
    assert page.inner_text(".c360-scores h2").startswith("评分")
    assert fits_width(page)
    assert errors == []


@pytest.mark.parametrize("browser_page", [1280, 390], indirect=True)
def test_the_dashboard_draws_the_managers_figures_in_both_languages(
    live_server: Any, transactional_db: Any, browser_page: Any
) -> None:
    _scored_world()
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, live_server.url)
    # Only the manager's own customer: one scored, a star, at risk.
    assert page.inner_text("#stat-scored") == "1"
    assert page.inner_text("#stat-high-value") == "1"
    assert page.inner_text("#stat-at-risk") == "1"
    for chart in ("quadrants", "stages", "rfm", "pv", "share", "flow"):
        page.wait_for_selector(f"#chart-{chart} svg")
    # The order figures come after the page and are drawn when they do.
    page.wait_for_selector("#dashboard-chart svg")
    assert page.inner_text("#stat-customers") == "1"
    assert "Star" in page.inner_text("#chart-quadrants")
    assert fits_width(page)

    page.click("button[lang=zh-hans]")
    page.wait_for_load_state()
    page.wait_for_selector("#chart-flow svg")
    assert "截至 2026-11-30 的评分" in page.inner_text("#dashboard-scores")
    assert "明星客户" in page.inner_text("#chart-quadrants")
    assert "成熟期" in page.inner_text("#chart-flow")
    assert fits_width(page)
    assert errors == []
