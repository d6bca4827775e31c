"""In a real browser: filter the customer list, export it as a workbook, follow
the progress page to its download link and open the file — in Chinese on a
390 px phone and in English on a desktop. Huey runs the export task
immediately, in the live server's thread."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from guanxi.access.choices import Role
from tests.browser import chromium_page

pytestmark = [pytest.mark.browser]

HEADERS = {
    "zh-CN": ["客户编号", "姓名", "电话"],
    "en-US": ["Customer no.", "Name", "Phone"],
}
GENDER = {"zh-CN": "女", "en-US": "Female"}


@pytest.mark.parametrize(("locale", "width"), [("zh-CN", 390), ("en-US", 1280)])
def test_export_the_filtered_list_and_open_the_file(
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    make_customer: Any,
    huey_immediate: Any,
    settings: Any,
    tmp_path: Path,
    locale: str,
    width: int,
) -> None:
    settings.DATA_DIR = tmp_path
    manager = make_user(Role.ACCOUNT_MANAGER, username="manager")
    other = make_user(Role.ACCOUNT_MANAGER, username="other")
    seen = dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.UTC)
    mine = make_customer(
        name="张伟", phone="+8613800138000", city="上海", gender="female",
        assigned_manager=manager, first_seen_at=seen,
    )  # fmt: skip
    make_customer(
        name="王芳", city="北京", assigned_manager=manager, first_seen_at=seen
    )
    make_customer(name="李雷", city="上海", assigned_manager=other, first_seen_at=seen)

    with chromium_page(
        timeout_ms=20_000,
        locale=locale,
        viewport={"width": width, "height": 800},
        accept_downloads=True,
    ) as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "manager")
        page.fill("#id_password", "guanxi-test-pass")
        page.click("form[action$='/login/'] button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/customers/")
        page.fill("#id_city", "上海")
        page.press("#id_city", "Enter")
        page.wait_for_url("**/customers/?*city=*")
        page.wait_for_function(
            "() => !document.querySelector('.htmx-added, .htmx-request, .htmx-settling')"
        )
        assert page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        ), "the customer list scrolls sideways"
        page.select_option("#id_export_format_customers", "xlsx")
        page.click("#export-customers")
        page.wait_for_url("**/exports/*/")
        link = page.wait_for_selector("#export-download")
        assert page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        ), "the export page scrolls sideways"
        with page.expect_download() as info:
            link.click()
        saved = tmp_path / "download.xlsx"
        info.value.save_as(saved)

    sheet = load_workbook(saved).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == HEADERS[locale]
    assert len(rows) == 2  # 上海 and the manager's own: not 北京, not the other's
    assert rows[1][:3] == [str(mine.pk), "张伟", "+8613800138000"]
    assert rows[1][5] == GENDER[locale]
