"""In a real browser, in both languages, at 1280 and 390 px: an admin presses
*Score now* on a date already scored. The button only queues a task, so the
page says the run waits for the task worker and watches for it; when the
worker claims the run, its row shows the progress without a reload. With no
worker for a minute the page says so and stops watching."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from tests.browser import SETTLED, chromium_page, fits_width, page_log_in

from guanxi.access.choices import Role
from guanxi.insights import views
from guanxi.insights.choices import RunStatus
from guanxi.insights.models import ScoreRun
from guanxi.insights.tests.factories import make_run

pytestmark = [pytest.mark.browser]

TEXTS = {
    "en-US": {
        "button": "Score now",
        "queued": "is queued: waiting for the task worker to start it",
        "late": "the task worker has not started it for a minute",
        "done": "Done",
    },
    "zh-CN": {
        "button": "立即评分",
        "queued": "的评分已排队：正在等待任务进程开始运行",
        "late": "任务进程一分钟内未开始运行",
        "done": "已完成",
    },
}
SIZES = {"desktop": 1280, "phone": 390}


@pytest.mark.parametrize("width", list(SIZES.values()), ids=list(SIZES))
@pytest.mark.parametrize("locale", list(TEXTS))
def test_score_now_shows_the_run_waiting_then_running(
    locale: str,
    width: int,
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = TEXTS[locale]
    make_user(Role.ADMIN, username="admin")
    today = timezone.localdate()
    earlier = timezone.now() - dt.timedelta(hours=1)
    run = make_run(today, customers=3, heartbeat_at=earlier, seconds=1.0)
    base = live_server.url
    HUEY.flush()
    try:
        with chromium_page(
            timeout_ms=15000, locale=locale, viewport={"width": width, "height": 900}
        ) as page:
            page_log_in(page, base, username="admin", password="guanxi-test-pass")
            page.goto(f"{base}/insights/runs/")
            page.click(f"#run-start button:has-text('{texts['button']}')")
            page.wait_for_url(f"{base}/insights/runs/")
            assert texts["queued"] in page.inner_text("#run-queued")
            assert page.inner_text(f"#run-{run.pk} td:nth-child(2)").startswith(
                texts["done"]
            )
            assert len(HUEY.pending()) == 1  # the task, for the worker
            assert fits_width(page)
            # The worker claims the run (what insights.runs does first).
            make_run(
                today,
                status=RunStatus.RUNNING,
                heartbeat_at=timezone.now(),
                progress=40,
                step="models",
            )
            page.wait_for_selector(f"#run-{run.pk} progress[value='40']")
            page.wait_for_function(SETTLED)
            assert page.locator("#run-queued").count() == 0
            # No worker comes for a minute: the page says so and stops polling.
            make_run(today, status=RunStatus.DONE, heartbeat_at=earlier)
            monkeypatch.setattr(views, "WORKER_WAIT_SECONDS", -1)
            page.click(f"#run-start button:has-text('{texts['button']}')")
            page.wait_for_url(f"{base}/insights/runs/")
            assert texts["late"] in page.inner_text("#run-queued")
            assert page.locator("#runs-card[hx-trigger]").count() == 0
            assert fits_width(page)
    finally:
        HUEY.flush()
    assert ScoreRun.objects.count() == 1
