"""The care settings page in Debian's Chromium: refused with the field's
message and nothing saved, then saved, in both languages, on a desktop and
at a phone's 390 px (no sideways scrolling)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.access import build_world
from tests.browser import chromium_page, fits_width, screenshot

from guanxi.care.models import CareSettings, QuadrantThresholds

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
def test_the_settings_page_refuses_then_saves(
    live_server: Any, transactional_db: Any, browser_page: Any
) -> None:
    world = build_world()
    admin = world.users["admin"]
    admin.set_password(PASSWORD)
    admin.save()
    page = browser_page
    width = page.viewport_size["width"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", admin.get_username())
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/care/settings/")
    assert page.inner_text("h1") == "Care settings"
    assert fits_width(page)
    screenshot(page, f"care-settings-en-{width}")

    page.click("#quadrant-star summary")
    page.fill("#id_star-no_purchase_days", "14")
    page.fill("#id_drop_ratio", "0")
    page.click("#care-settings button[type=submit]")
    page.wait_for_url(f"{live_server.url}/care/settings/")
    page.wait_for_load_state()
    text = page.inner_text("#care-settings")
    assert "Nothing was saved." in text
    assert (
        "Interactions this week below this share of the week before: enter a "
        "ratio above 0 and at most 1." in text
    )
    assert page.input_value("#id_star-no_purchase_days") == "14"
    assert not QuadrantThresholds.objects.exists()
    assert fits_width(page)
    screenshot(page, f"care-settings-refused-en-{width}")

    page.click("button[lang=zh-hans]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "关怀设置"
    page.click("#quadrant-star summary")
    page.fill("#id_star-no_purchase_days", "14")
    page.fill("#id_plan_steps", "3")
    page.click("#care-settings button[type=submit]")
    page.wait_for_url(f"{live_server.url}/care/settings/")
    page.wait_for_load_state()
    assert "已保存。下一次评估将使用这些设置。" in page.inner_text("body")
    assert QuadrantThresholds.objects.get(quadrant="star").no_purchase_days == 14
    assert CareSettings.objects.get(pk=1).plan_steps == 3
    assert "14" in page.inner_text(".settings-changes")
    assert fits_width(page)
    screenshot(page, f"care-settings-saved-zh-{width}")
    assert errors == []
