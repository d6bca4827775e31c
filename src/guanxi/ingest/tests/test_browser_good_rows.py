"""In a real browser, in both languages and at 390 px: the import wizard shows
the fields by name with sample values, imports the good rows of a CSV with
problems, and hands the bad rows back as a file that is downloaded, opened and
checked. Debian's Chromium driven by Playwright against pytest-django's live
server; Huey runs the import task immediately, in the server's thread."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.browser import chromium_page

from guanxi.access.choices import Role
from guanxi.commerce.models import Order

pytestmark = [pytest.mark.browser]

CSV = (
    "订单号,下单时间,金额,手机号\n"
    "A-1,2024-01-05,88,13800138000\n"
    "A-2,2024-01-05,-1,13800138001\n"
    "A-3,2024-01-06,120,13900139000\n"
)
TEXTS = {
    "en-US": {
        "label": "Order number",
        "good": "Import the 2 rows without problems, and get the 1 rows",
        "left_out": "1 row with problems was left out.",
        "problem": "金额: amount must not be negative",
    },
    "zh-CN": {
        "label": "订单号",
        "good": "导入 2 行无误的数据，有问题的 1 行以文件退回",
        "left_out": "1 行有问题，未导入。",
        "problem": "金额: 金额不能为负数",
    },
}


@pytest.fixture
def huey_immediate() -> Iterator[None]:
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = was


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("locale", list(TEXTS))
def test_import_the_good_rows_and_download_the_bad_ones(
    locale: str,
    width: int,
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    huey_immediate: None,
    tmp_path: Path,
) -> None:
    texts = TEXTS[locale]
    make_user(Role.OPERATIONS, username="importer")
    upload = tmp_path / "orders.csv"
    upload.write_text(CSV, encoding="utf-8")
    viewport = {"width": width, "height": 900}
    with chromium_page(timeout_ms=20_000, locale=locale, viewport=viewport) as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "importer")
        page.fill("#id_password", "guanxi-test-pass")
        page.click("form[action$='/login/'] button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/imports/")
        page.select_option("#id_kind", "orders")
        page.set_input_files("#id_file", str(upload))
        page.click("#upload-submit")
        page.wait_for_selector("#mapping-submit")
        label = page.inner_text("label[for=id_map_order_id]")
        assert label == f"{texts['label']} *"
        samples = page.locator(".samples[data-for=id_map_order_id] .sample")
        assert samples.all_inner_texts() == ["A-1", "A-2", "A-3"]
        # The samples follow the column chosen.
        page.select_option("#id_map_order_id", "金额")
        assert samples.all_inner_texts() == ["88", "-1", "120"]
        page.select_option("#id_map_order_id", "订单号")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.click("#mapping-submit")

        page.wait_for_selector("#good-rows")
        assert texts["good"] in page.inner_text("#good-rows")
        page.click("#confirm-good-rows")
        left_out = page.wait_for_selector("#import-left-out")
        assert texts["left_out"] in left_out.inner_text()
        with page.expect_download() as info:
            page.click("#rejects-download")
        download = info.value
        assert download.suggested_filename == "orders-rejected.csv"
        content = Path(download.path()).read_bytes()
        assert page.evaluate("document.documentElement.scrollWidth") <= width

    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [
        ["订单号", "下单时间", "金额", "手机号", "错误 / problem"],
        ["A-2", "2024-01-05", "-1", "13800138001", texts["problem"]],
    ]
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["A-1", "A-3"]
