"""In a real browser, in both languages, on a desktop and at 390 px: an
account manager creates a customer (the duplicate warning appears while
typing a phone number that is already a customer's, with a link to them),
edits it, logs a call from the customer page without a page load; an
operations colleague assigns the customer to another manager, whose list
has it at once. Debian's Chromium driven by Playwright against pytest-django's
live server."""

from __future__ import annotations

from typing import Any

import pytest
from tests.browser import SETTLED, chromium_page

from guanxi.access.choices import Role
from guanxi.customers.models import Customer, CustomerChange, Interaction

pytestmark = [pytest.mark.browser]

TEXTS = {
    "en-US": {
        "new": "New customer",
        "dup": "This phone number already belongs to another customer.",
        "created": "Created by manager",
        "edited": "Edited by manager: city",
        "logged": "Activity logged.",
        "call": "Call",
        "assigned": "other is now the account manager.",
    },
    "zh-CN": {
        "new": "新建客户",
        "dup": "该手机号已属于另一位客户。",
        "created": "由 manager 创建",
        "edited": "manager 修改了：城市",
        "logged": "活动已记录。",
        "call": "通话",
        "assigned": "other 现在是客户经理。",
    },
}
SIZES = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}
# htmx has wired up the phone field (its "input changed" trigger remembers the
# value it saw then: a value typed before that is not a change).
PHONE_WIRED = (
    "() => !!(document.querySelector('#id_phone') || {})['htmx-internal-data']"
    "?.initHash"
)


def login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "guanxi-test-pass")
    page.click("form[action$='/login/'] button[type=submit]")
    page.wait_for_url(f"{base}/")


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("locale", list(TEXTS))
def test_create_edit_and_log_a_call(
    locale: str,
    size: str,
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    make_customer: Any,
) -> None:
    texts = TEXTS[locale]
    manager = make_user(Role.ACCOUNT_MANAGER, username="manager")
    existing = make_customer(
        name="王芳", phone="+8613800138000", assigned_manager=manager
    )
    base = live_server.url
    with chromium_page(timeout_ms=20_000, locale=locale, viewport=SIZES[size]) as page:
        login(page, base, "manager")
        page.goto(f"{base}/customers/")
        page.click(f"text={texts['new']}")
        page.wait_for_url(f"{base}/customers/new/")
        page.wait_for_function(PHONE_WIRED)
        page.wait_for_function(SETTLED)
        page.fill("#id_name", "赵六")
        page.fill("#id_phone", "138 0013 8000")
        warning = page.locator("#contact-warning .dup-warning")
        warning.wait_for()
        assert texts["dup"] in warning.inner_text()
        assert (
            warning.locator("a").get_attribute("href") == f"/customers/{existing.pk}/"
        )
        no_sideways_scroll(page)
        page.fill("#id_phone", "138 0013 8111")
        warning.wait_for(state="detached")
        page.fill("#id_city", "杭州")
        page.click("#save-customer")
        page.wait_for_url(f"{base}/customers/*/")
        created = Customer.objects.order_by("-pk").first()
        assert created is not None
        assert (created.name, created.phone, created.assigned_manager_id) == (
            "赵六",
            "+8613800138111",
            manager.pk,
        )
        assert texts["created"] in page.inner_text("#timeline")

        page.click("#edit-customer")
        page.fill("#id_city", "苏州")
        page.click("#save-customer")
        page.wait_for_url(f"{base}/customers/{created.pk}/")
        assert texts["edited"] in page.inner_text("#timeline")
        no_sideways_scroll(page)

        # Logging a call: the kind is already "call"; type, click.
        page.evaluate("window.notReloaded = true")
        assert page.locator("input[name=kind][value=call]").is_checked()
        assert texts["call"] in page.inner_text("#activity-panel .kinds")
        page.fill("#id_activity_note", "回访：对新茶满意")
        page.click("#log-activity")
        page.locator("#activity-done").wait_for()
        page.wait_for_function(SETTLED)
        assert texts["logged"] in page.inner_text("#activity-panel")
        assert "回访：对新茶满意" in page.inner_text("#timeline")
        assert page.evaluate("window.notReloaded") is True
        assert page.input_value("#id_activity_note") == ""
    call = Interaction.objects.get(customer=created)
    assert (call.kind, call.note, call.logged_by_id) == (
        "call",
        "回访：对新茶满意",
        manager.pk,
    )
    assert list(
        CustomerChange.objects.filter(customer=created).values_list("kind", "fields")
    ) == [("edited", ["city"]), ("created", [])]


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("locale", list(TEXTS))
def test_assign_an_account_manager(
    locale: str,
    size: str,
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    make_customer: Any,
) -> None:
    texts = TEXTS[locale]
    make_user(Role.OPERATIONS, username="ops")
    manager = make_user(Role.ACCOUNT_MANAGER, username="manager")
    other = make_user(Role.ACCOUNT_MANAGER, username="other")
    customer = make_customer(name="王芳", assigned_manager=manager)
    base = live_server.url
    with chromium_page(timeout_ms=20_000, locale=locale, viewport=SIZES[size]) as page:
        login(page, base, "ops")
        page.goto(f"{base}/customers/{customer.pk}/")
        page.select_option("#id_manager", str(other.pk))
        page.click("#assign-manager")
        page.wait_for_url(f"{base}/customers/{customer.pk}/")
        assert texts["assigned"] in page.inner_text(".messages")
        assert page.inner_text("#account-manager") == "other"
        no_sideways_scroll(page)
    customer.refresh_from_db()
    assert customer.assigned_manager_id == other.pk
    with chromium_page(timeout_ms=20_000, locale=locale, viewport=SIZES[size]) as page:
        login(page, base, "other")
        page.goto(f"{base}/customers/")
        assert "王芳" in page.inner_text("#customer-results")
