"""In a real browser, in both languages, at 1280 and 390 px: the customer list
names an automatic tag as the customer's page does, in the page's language
(``Lifecycle: mature`` on an English page, ``生命周期·成熟客户`` on a Chinese
one), in its rows and in its tag filter; a manual tag keeps its one name."""

from __future__ import annotations

from typing import Any

import pytest
from tests.browser import chromium_page, fits_width, page_log_in

from guanxi.access.choices import Role
from guanxi.customers.models import CustomerTag, Tag

pytestmark = [pytest.mark.browser]

LABELS = {"en-US": "Lifecycle: mature", "zh-CN": "生命周期·成熟客户"}
SIZES = {"desktop": 1280, "phone": 390}


@pytest.mark.parametrize("width", list(SIZES.values()), ids=list(SIZES))
@pytest.mark.parametrize("locale", list(LABELS))
def test_list_names_automatic_tags_in_the_page_language(
    locale: str,
    width: int,
    live_server: Any,
    transactional_db: Any,
    make_user: Any,
    make_customer: Any,
) -> None:
    make_user(Role.ADMIN, username="admin")
    customer = make_customer(name="刘海燕")
    automatic = Tag.objects.create(
        name="生命周期·成熟客户",
        name_en="Lifecycle: mature",
        kind="automatic",
        key="stage:mature",
    )
    manual = Tag.objects.create(name="茶会会员")
    CustomerTag.objects.create(customer=customer, tag=automatic, source="automatic")
    CustomerTag.objects.create(customer=customer, tag=manual)
    base = live_server.url
    with chromium_page(
        timeout_ms=15000,
        locale=locale,
        viewport={"width": width, "height": 900},
    ) as page:
        page_log_in(page, base, username="admin", password="guanxi-test-pass")
        page.goto(f"{base}/customers/")
        row_tags = page.locator(f"tr:has(a[href='/customers/{customer.pk}/']) .tag")
        assert sorted(row_tags.all_inner_texts()) == sorted(
            [LABELS[locale], "茶会会员"]
        )
        options = page.locator("#id_tag option").all_inner_texts()
        assert LABELS[locale] in options
        assert "茶会会员" in options
        # The filter still filters by the tag's one name, whatever is shown.
        page.select_option("#id_tag", label=LABELS[locale])
        assert (
            page.locator("#id_tag option:checked").get_attribute("value")
            == "生命周期·成熟客户"
        )
        # The 360 page shows the same label.
        page.goto(f"{base}/customers/{customer.pk}/")
        assert page.get_by_text(LABELS[locale], exact=True).count() == 1
        assert fits_width(page)
