"""In a real browser, in both languages, at desktop width and at 390 px: filter
the customer list, bulk-tag every customer matching the filter after a
confirmation that says how many it touches, and watch the background run
finish. Debian's Chromium driven by Playwright against pytest-django's live
server; Huey runs the task immediately, in the server's thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.browser import SETTLED, chromium_page

from guanxi.access.choices import Role
from guanxi.customers.models import Customer, CustomerTag, Tag
from guanxi.customers.services import customer_apply_contact

pytestmark = [pytest.mark.browser]

NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= window.innerWidth"
TEXTS = {
    "en-US": {
        "matching": "All 4 customers matching these filters",
        "summary": "This will add the tag “春季活动” to 4 customers.",
        "done": "Done: 4 customers changed (the others needed no change).",
    },
    "zh-CN": {
        "matching": "所有符合这些筛选条件的 4 位客户",
        "summary": "将为 4 位客户添加标签“春季活动”。",
        "done": "已完成：4 位客户已更改（其余无需更改）。",
    },
}


def _customers() -> dict[str, list[int]]:
    made: dict[str, list[int]] = {"苏州": [], "杭州": []}
    for n, city in enumerate(["苏州"] * 4 + ["杭州"] * 2):
        c = Customer(name=f"顾客{n}", phone=f"+8613600{n:06d}", city=city)
        customer_apply_contact(c)
        c.save()
        made[city].append(c.pk)
    return made


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("locale", list(TEXTS))
def test_bulk_tag_a_filtered_list(
    locale: str,
    width: int,
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    huey_immediate: None,
    tmp_path: Path,
) -> None:
    texts = TEXTS[locale]
    make_user(Role.OPERATIONS, username="marketer")
    people = _customers()
    tag = Tag.objects.create(name="春季活动")
    viewport = {"width": width, "height": 900}
    with chromium_page(timeout_ms=20_000, locale=locale, viewport=viewport) as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "marketer")
        page.fill("#id_password", "guanxi-test-pass")
        page.click("form[action$='/login/'] button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/customers/")
        page.wait_for_function(SETTLED)
        page.fill("#id_city", "苏州")
        page.click("#apply-filters")
        page.wait_for_function(
            "() => document.querySelectorAll('input[form=bulk-form]').length === 4"
        )
        page.wait_for_function(SETTLED)
        assert texts["matching"] in page.inner_text("#bulk-form")
        assert page.evaluate(NO_SIDEWAYS)
        page.screenshot(path=str(tmp_path / "list.png"), full_page=True)

        page.check("#bulk-all")
        page.select_option("#id_bulk_kind", "tag")
        page.select_option("#id_bulk_tag", str(tag.pk))
        page.click("#bulk-continue")
        page.wait_for_url("**/customers/bulk/*/")
        assert page.inner_text("#bulk-summary").strip() == texts["summary"]
        assert page.evaluate(NO_SIDEWAYS)
        assert not CustomerTag.objects.filter(tag=tag).exists()
        page.screenshot(path=str(tmp_path / "confirm.png"), full_page=True)

        page.click("#bulk-go")
        page.wait_for_selector("#bulk-progress[data-status=done]")
        assert page.inner_text("#bulk-done").strip() == texts["done"]
        assert page.evaluate(NO_SIDEWAYS)
        page.screenshot(path=str(tmp_path / "done.png"), full_page=True)

    tagged = set(
        CustomerTag.objects.filter(tag=tag).values_list("customer_id", flat=True)
    )
    assert tagged == set(people["苏州"])
