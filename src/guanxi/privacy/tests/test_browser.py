"""The data-subject requests page in Debian's Chromium, in both languages, on
a desktop and at a phone's 390 px: an admin opens an access request and
downloads the export, then opens an erasure request and closes it (erasing
the customer); a bad customer number gets its message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.browser import chromium_page, fits_width, screenshot

from guanxi.access.choices import Role
from guanxi.privacy.tests.conftest import make_canary

pytestmark = [pytest.mark.browser]

PASSWORD = "privacy-7-pass"
TEXTS = {
    "en": {
        "locale": "en-US",
        "link": "Data-subject requests",
        "bad": "Enter the customer's number, like 42.",
        "confirm": "Tick the box to confirm the erasure: it cannot be undone.",
        "done": "Done",
    },
    "zh-hans": {
        "locale": "zh-CN",
        "link": "个人信息主体请求",
        "bad": "请输入客户编号，例如 42。",
        "confirm": "请勾选以确认删除：删除不可撤销。",
        "done": "已完成",
    },
}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", list(TEXTS))
def test_an_admin_answers_an_access_and_an_erasure_request(
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    language: str,
    width: int,
) -> None:
    from guanxi.customers.models import Customer
    from guanxi.privacy.models import DataRequest

    texts = TEXTS[language]
    boss = make_user(Role.ADMIN, username="boss")
    boss.set_password(PASSWORD)
    boss.save()
    canary = make_canary()
    cid = canary.customer.pk
    base = live_server.url
    with chromium_page(
        timeout_ms=15_000,
        locale=texts["locale"],
        extra_http_headers={"Accept-Language": texts["locale"]},
        viewport={"width": width, "height": 900},
        accept_downloads=True,
    ) as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/login/")
        page.fill("#id_username", "boss")
        page.fill("#id_password", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{base}/")
        link = page.locator("a[href='/privacy/']")
        assert link.count() == 1
        assert link.text_content() == texts["link"]
        page.goto(f"{base}/privacy/")

        page.fill("#id_customer", "abc")
        page.click("#privacy-open button[type=submit]")
        page.wait_for_selector("#privacy-error")
        assert page.inner_text("#privacy-error") == texts["bad"]
        assert DataRequest.objects.count() == 0

        page.select_option("#id_kind", "access")
        page.fill("#id_customer", str(cid))
        page.click("#privacy-open button[type=submit]")
        page.wait_for_url(f"{base}/privacy/")
        row = page.locator("tr[data-request]")
        assert row.count() == 1
        with page.expect_download() as download:
            row.locator("a[href$='export.json']").click()
        data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert data["customer"] == cid
        assert len(data["records"]["commerce.Order"]) == 2
        assert fits_width(page)
        screenshot(page, f"privacy-{language}-{width}")

        page.select_option("#id_kind", "erasure")
        page.fill("#id_customer", str(cid))
        page.click("#privacy-open button[type=submit]")
        page.wait_for_url(f"{base}/privacy/")
        erasure = DataRequest.objects.get(kind="erasure")
        row = page.locator(f"tr[data-request='{erasure.pk}']")
        row.locator("button[value=done]").click()
        page.wait_for_selector("#privacy-error")
        assert page.inner_text("#privacy-error") == texts["confirm"]
        assert Customer.objects.filter(pk=cid).exists()
        screenshot(page, f"privacy-confirm-{language}-{width}")

        page.goto(f"{base}/privacy/")
        row = page.locator(f"tr[data-request='{erasure.pk}']")
        row.locator("input[name=confirm]").check()
        row.locator("button[value=done]").click()
        page.wait_for_url(f"{base}/privacy/")
        assert texts["done"] in page.inner_text(f"tr[data-request='{erasure.pk}']")
        assert fits_width(page)
        screenshot(page, f"privacy-done-{language}-{width}")
        assert errors == []
    assert not Customer.objects.filter(pk=cid).exists()
    erasure.refresh_from_db()
    assert erasure.status == "done"
