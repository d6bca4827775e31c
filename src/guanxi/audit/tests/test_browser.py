"""The audit page in Debian's Chromium, in both languages, on a desktop and
at a phone's 390 px: an admin searches by customer, gets a wrong search's
message, and exports the events as CSV (the export then in the log)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.browser import SETTLED, chromium_page, fits_width, screenshot

from guanxi.access.choices import Role
from guanxi.audit.choices import AuditAction
from guanxi.audit.models import AuditEvent
from guanxi.audit.services import record

pytestmark = [pytest.mark.browser]

PASSWORD = "audit-7-pass"
TEXTS = {
    "en": {
        "locale": "en-US",
        "viewed": "Viewed a customer's personal fields",
        "nobody": "Nobody on the team has the username 'ghost'.",
        "exported": "Exported data",
        "link": "Audit log",
    },
    "zh-hans": {
        "locale": "zh-CN",
        "viewed": "查看了客户的个人信息",
        "nobody": "团队中没有用户名为 'ghost' 的人。",
        "exported": "导出了数据",
        "link": "审计日志",
    },
}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", list(TEXTS))
def test_an_admin_searches_and_exports_the_log(
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    language: str,
    width: int,
) -> None:
    texts = TEXTS[language]
    boss = make_user(Role.ADMIN, username="boss")
    boss.set_password(PASSWORD)
    boss.save()
    helper = make_user(Role.SERVICE, username="xiaoli")
    for customer_id in (41, 42, 41):
        record(
            action=AuditAction.CUSTOMER_VIEWED,
            actor=helper,
            customer_id=customer_id,
            object_type="customer",
            object_id=customer_id,
            details={"via": "web"},
        )
    base = live_server.url
    with chromium_page(
        timeout_ms=15_000,
        locale=texts["locale"],
        extra_http_headers={"Accept-Language": texts["locale"]},
        viewport={"width": width, "height": 900},
    ) as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/login/")
        page.fill("#id_username", "boss")
        page.fill("#id_password", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{base}/")
        # The account menu leads admins to the log.
        link = page.locator("a[href='/audit/']")
        assert link.count() == 1
        assert link.text_content() == texts["link"]
        page.goto(f"{base}/audit/")
        assert page.locator("tr[data-event]").count() == 3
        assert texts["viewed"] in page.inner_text("#audit-results")
        assert fits_width(page)
        screenshot(page, f"audit-{language}-{width}")

        page.fill("#id_customer", "41")
        page.click("form.filters button[type=submit]")
        page.wait_for_url(f"{base}/audit/?person=&customer=41**")
        page.wait_for_function(SETTLED)
        assert page.locator("tr[data-event]").count() == 2

        page.fill("#id_person", "ghost")
        page.click("form.filters button[type=submit]")
        page.wait_for_selector("#audit-error")
        page.wait_for_function(SETTLED)
        assert page.inner_text("#audit-error") == texts["nobody"]
        assert page.locator("tr[data-event]").count() == 0
        assert fits_width(page)
        screenshot(page, f"audit-error-{language}-{width}")

        page.fill("#id_person", "xiaoli")
        page.click("form.filters button[type=submit]")
        page.wait_for_selector("#audit-export")
        page.wait_for_function(SETTLED)
        with page.expect_download() as download:
            page.click("#audit-export")
        path = download.value.path()
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        assert lines[0] == "at,actor,role,action,customer,object_type,object_id,details"
        assert len(lines) == 3  # the two views of customer 41
        page.goto(f"{base}/audit/?action=export")
        assert page.locator("tr[data-event]").count() == 1
        assert texts["exported"] in page.inner_text("#audit-results")
        assert errors == []
    exported = AuditEvent.objects.get(action="export")
    assert exported.details["filters"] == ["customer", "person"]
    assert exported.details["rows"] == 2
