"""In a real browser: log in, import a CSV through the wizard, find the customer
by phone. Debian's Chromium driven by Playwright against pytest-django's live
server; Huey runs the import task immediately, in the server's thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guanxi.access.choices import Role
from tests.browser import chromium_page

pytestmark = [pytest.mark.browser]

CSV = (
    "手机号,姓名,邮箱,生日\n"
    "138 0013 8000,张伟,zhang.wei@example.com,1990/1/5\n"
    "13900139000,李娜,,1988年3月4日\n"
)


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium_page(timeout_ms=20_000, locale="en-US") as page:
        yield page


@pytest.fixture
def huey_immediate() -> Iterator[None]:
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = was


def test_import_through_the_wizard_and_find_by_phone(
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    page: Any,
    huey_immediate: None,
    tmp_path: Path,
) -> None:
    user = make_user(Role.ADMIN, username="importer")
    upload = tmp_path / "customers.csv"
    upload.write_bytes(CSV.encode("gb18030"))

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "guanxi-test-pass")
    page.click("form[action$='/login/'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/imports/")
    page.select_option("#id_kind", "customers")
    page.select_option("#id_preset", "generic")
    page.set_input_files("#id_file", str(upload))
    page.click("#upload-submit")

    page.wait_for_selector("#mapping-submit")
    assert page.input_value("#id_map_phone") == "手机号"
    page.click("#mapping-submit")

    page.wait_for_selector("#preview-ok")
    assert "All 2 rows are valid: 2 will be created" in page.inner_text("#preview-ok")
    page.click("#confirm-import")

    done = page.wait_for_selector("#import-done")
    assert "Imported: 2 created, 0 updated, 0 unchanged." in done.inner_text()

    page.goto(f"{live_server.url}/customers/")
    page.fill("input[name=q]", "13800138000")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/customers/?*q=13800138000*")
    results = page.inner_text("#customer-results")
    assert "张伟" in results
    assert "李娜" not in results
