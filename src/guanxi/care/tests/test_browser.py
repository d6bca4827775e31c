"""The care inbox in Debian's Chromium: a warned customer's task, refused
without an outcome and closed in place, in both languages, on a desktop and
at a phone's 390 px."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from tests.access import build_world
from tests.browser import SETTLED, chromium_page, fits_width, screenshot

from guanxi.care.models import CareTask
from guanxi.care.services import warnings_evaluate
from guanxi.customers.models import Interaction
from guanxi.insights.tests.factories import make_run, make_snapshot

pytestmark = [pytest.mark.browser]

PASSWORD = "longjing-7-pass"
DAY = dt.date(2026, 11, 20)


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


def _warned_world() -> Any:
    world = build_world()
    manager = world.users["account_manager"]
    manager.set_password(PASSWORD)
    manager.save()
    make_snapshot(world.own_customer, DAY, days_since_last_purchase=30, quadrant="star")
    make_snapshot(world.foreign_customer, DAY, days_since_last_purchase=30)
    make_run(DAY)
    warnings_evaluate(as_of=DAY)
    return world


@pytest.mark.parametrize("browser_page", [1280, 390], indirect=True)
def test_the_inbox_closes_a_task_in_both_languages(
    live_server: Any, transactional_db: Any, browser_page: Any
) -> None:
    world = _warned_world()
    task = CareTask.objects.get(customer=world.own_customer)
    page = browser_page
    width = page.viewport_size["width"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "account_manager")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")
    page.wait_for_selector("#care-count")
    assert page.inner_text("#care-count") == "1"
    page.click(".mainnav a[href='/care/today/']")
    page.wait_for_url(f"{live_server.url}/care/today/")

    card = f"#task-{task.pk}"
    text = page.inner_text(card)
    assert "No purchase for 30 days." in text
    assert "Hello, we haven't seen you for a while." in text
    assert "Call from the account manager" in text
    # The other manager's customer is not here.
    assert page.locator("ol.tasks > li").count() == 1
    assert fits_width(page)
    screenshot(page, f"inbox-en-{width}")

    page.fill(f"{card} textarea[name=note]", "Busy this month.")
    page.click(f"{card} button[type=submit]")
    page.wait_for_function(SETTLED)
    assert "Choose an outcome: reached or not reached." in page.inner_text(card)
    assert page.input_value(f"{card} textarea[name=note]") == "Busy this month."
    assert CareTask.objects.get(pk=task.pk).status == "open"

    page.click("button[lang=zh-hans]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "今日待办"
    assert "已 30 天未购买。" in page.inner_text(card)
    assert (
        "您好,最近没看到您来购物,是产品哪里不满意吗?我们想听听您的意见。"
        in page.inner_text(card)
    )
    assert fits_width(page)
    screenshot(page, f"inbox-zh-{width}")
    page.click(f"{card} button[type=submit]")
    page.wait_for_function(SETTLED)
    assert "请选择结果：已联系上或未联系上。" in page.inner_text(card)

    page.check(f"{card} input[name=outcome][value=reached]")
    page.select_option(f"{card} select[name=leave_reason]", "price")
    page.select_option(f"{card} select[name=remedy_offered]", "coupon")
    page.fill(f"{card} textarea[name=note]", "下周再来。")
    page.click(f"{card} button[type=submit]")
    page.wait_for_function(SETTLED)
    assert page.inner_text(card) == "任务已关闭：已联系上。已记录在客户时间线上。"
    stored = CareTask.objects.get(pk=task.pk)
    assert (stored.status, stored.outcome, stored.leave_reason) == (
        "done",
        "reached",
        "price",
    )
    entry = Interaction.objects.get(source="care")
    assert (
        entry.note
        == "关怀任务已关闭：已联系上。\n离开原因：价格。\n已提供的措施：优惠券。\n下周再来。"
    )
    screenshot(page, f"inbox-closed-zh-{width}")
    assert errors == []


def _report_world() -> Any:
    """Two warned customers of the manager (one contacted and won back), one
    of another manager, and the operations user's checklist."""
    from guanxi.care.checklist import checklist_create
    from guanxi.care.models import ChurnWarning

    world = _warned_world()
    for role in ("account_manager", "operations"):
        user = world.users[role]
        user.set_password(PASSWORD)
        user.save()
    task = CareTask.objects.get(customer=world.own_customer)
    CareTask.objects.filter(pk=task.pk).update(
        status="done", outcome="reached", leave_reason="price",
        remedy_offered="coupon", closed_at=task.created_at + dt.timedelta(hours=5),
    )  # fmt: skip
    ChurnWarning.objects.filter(pk=task.warning_id or 0).update(
        status="won_back", closed_at=task.created_at + dt.timedelta(days=3)
    )
    checklist_create(today=dt.date.today())
    return world


def _login(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{url}/")


@pytest.mark.parametrize("browser_page", [1280, 390], indirect=True)
def test_the_win_back_report_in_both_languages(
    live_server: Any, transactional_db: Any, browser_page: Any
) -> None:
    _report_world()
    page = browser_page
    width = page.viewport_size["width"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, live_server.url, "account_manager")
    page.goto(f"{live_server.url}/care/today/")
    page.click("#report-link")
    page.wait_for_url(f"{live_server.url}/care/report/")
    page.fill("#report-start", "2026-11-01")
    page.fill("#report-end", "2026-11-30")
    page.click("#report-filter button[type=submit]")
    page.wait_for_url("**/care/report/?start=2026-11-01*")
    assert page.inner_text("h1") == "Win-back report"
    # The manager's own customer only: one warning, contacted, won back.
    assert page.inner_text("#stat-opened") == "1"
    assert page.inner_text("#stat-won").startswith("1")
    assert page.inner_text("#stat-median") == "5.0 h"
    assert "Price" in page.inner_text("#table-reason")
    assert page.locator("#chart-signal svg").count() == 1
    assert page.locator("#chart-person svg").count() == 1
    assert fits_width(page)
    screenshot(page, f"report-en-{width}")

    page.click("button[lang=zh-hans]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "挽回报表"
    assert page.inner_text("#stat-median") == "5.0 小时"
    assert "价格" in page.inner_text("#table-reason")
    assert page.locator("#chart-signal svg").count() == 1
    assert fits_width(page)
    screenshot(page, f"report-zh-{width}")

    page.fill("#report-start", "2026-12-01")
    page.click("#report-filter button[type=submit]")
    page.wait_for_url("**/care/report/?start=2026-12-01*")
    assert page.inner_text("[role=alert]") == "开始日期晚于结束日期。"
    assert page.locator("#stat-opened").count() == 0
    assert errors == []


@pytest.mark.parametrize("browser_page", [1280, 390], indirect=True)
def test_operations_tick_off_their_checklist(
    live_server: Any, transactional_db: Any, browser_page: Any
) -> None:
    from guanxi.care.models import ChecklistTask

    world = _report_world()
    page = browser_page
    width = page.viewport_size["width"]
    _login(page, live_server.url, "operations")
    page.wait_for_selector("#care-count")
    assert page.inner_text("#care-count") == "2"
    page.click(".mainnav a[href='/care/today/']")
    page.wait_for_url(f"{live_server.url}/care/today/")
    assert page.locator("#care-checklist > li").count() == 2
    assert page.locator("#care-tasks").count() == 0
    assert fits_width(page)
    screenshot(page, f"checklist-en-{width}")
    item = ChecklistTask.objects.get(
        owner=world.users["operations"], item="care_messages"
    )
    page.click(f"#checklist-{item.pk} button[type=submit]")
    page.wait_for_function(SETTLED)
    assert page.inner_text(f"#checklist-{item.pk}").startswith("Done: Send personal")
    assert ChecklistTask.objects.get(pk=item.pk).status == "done"
    page.click("button[lang=zh-hans]")
    page.wait_for_load_state()
    assert "举办客户活动" in page.inner_text("#care-checklist")
    assert fits_width(page)
    screenshot(page, f"checklist-zh-{width}")
