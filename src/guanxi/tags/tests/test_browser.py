"""In a real browser, in both languages: an account manager adds a new tag to
their customer on the customer page (htmx, no page load), sees who set it,
removes it again; an automatic tag shows without a remove button. Debian's
Chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

from typing import Any

import pytest
from tests.browser import chromium_page

from guanxi.access.choices import Role
from guanxi.customers.models import CustomerTag, Tag

pytestmark = [pytest.mark.browser]

TEXTS = {
    "en-US": {
        "placeholder": "Add a tag or create one",
        "who": "Added by manager on ",
        "remove": "Remove tag 茶会嘉宾",
        "automatic": "Lifecycle: new customer",
        "empty": "No tags set by people yet.",
    },
    "zh-CN": {
        "placeholder": "添加或新建标签",
        "who": "manager 于 ",
        "remove": "移除标签 茶会嘉宾",
        "automatic": "生命周期·新客户",
        "empty": "还没有人工设置的标签。",
    },
}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_add_and_remove_a_tag_on_the_customer_page(
    locale: str,
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    make_customer: Any,
) -> None:
    texts = TEXTS[locale]
    manager = make_user(Role.ACCOUNT_MANAGER, username="manager")
    customer = make_customer(name="王芳", assigned_manager=manager)
    auto = Tag.objects.create(
        name="生命周期·新客户",
        name_en="Lifecycle: new customer",
        kind="automatic",
        key="stage:new",
    )
    CustomerTag.objects.create(customer=customer, tag=auto, source="automatic")
    with chromium_page(timeout_ms=20_000, locale=locale) as page:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "manager")
        page.fill("#id_password", "guanxi-test-pass")
        page.click("form[action$='/login/'] button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/customers/{customer.pk}/")
        panel = page.locator("#customer-tags")
        assert texts["empty"] in panel.inner_text()
        assert texts["automatic"] in page.inner_text("#automatic-tags")
        assert page.locator("#automatic-tags button").count() == 0
        field = page.locator(f"#tag-name-{customer.pk}")
        assert field.get_attribute("placeholder") == texts["placeholder"]

        # Marks the page: an htmx swap keeps it, a page load would not.
        page.evaluate("window.notReloaded = true")
        field.fill("茶会嘉宾")
        page.click("#customer-tags .tagadd button[type=submit]")
        chip = page.locator("#manual-tags li.tag", has_text="茶会嘉宾")
        chip.wait_for()
        # htmx wires up swapped-in content 20 ms later (when it settles).
        page.wait_for_function(
            "() => !document.querySelector('.htmx-added, .htmx-request, .htmx-settling')"
        )
        assert page.evaluate("window.notReloaded") is True
        assert texts["who"] in (chip.get_attribute("title") or "")
        link = CustomerTag.objects.get(customer=customer, tag__name="茶会嘉宾")
        assert (link.added_by_id, link.source) == (manager.pk, "manual")

        page.click(f"button[aria-label='{texts['remove']}']")
        page.locator("#manual-tags li.tag", has_text="茶会嘉宾").wait_for(
            state="detached"
        )
        assert texts["empty"] in page.inner_text("#customer-tags")
        assert page.evaluate("window.notReloaded") is True
    assert not CustomerTag.objects.filter(tag__name="茶会嘉宾").exists()
    assert CustomerTag.objects.filter(customer=customer, tag=auto).exists()
