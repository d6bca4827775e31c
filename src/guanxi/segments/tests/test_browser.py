"""The segment builder in Debian's Chromium, in English and in Chinese: the live
count follows every change (a value, a new rule, a field, a group), a bad value
names its rule, the segment saves and its page lists the members."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.browser import chromium_page

from guanxi.access.choices import Role
from guanxi.customers.models import Customer
from guanxi.customers.services import customer_apply_contact
from guanxi.segments.models import Segment
from guanxi.segments.tests.factories import AS_OF, scored_run, snapshot

pytestmark = [pytest.mark.browser]

PEOPLE = [
    # name, phone, city, quadrant
    ("王芳", "+8613800138000", "上海", "star"),
    ("李雷", "+8613900139000", "上海", "star"),
    ("赵敏", "+8613700137000", "杭州", "star"),
    ("张伟", "+8613600136000", "上海", "basic"),
]


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium_page(
        timeout_ms=20_000, locale="en-US", extra_http_headers={"Accept-Language": "en"}
    ) as page:
        yield page


@pytest.fixture
def people(transactional_db: Any) -> None:
    scored_run(AS_OF)
    for name, phone, city, quadrant in PEOPLE:
        customer = Customer(name=name, phone=phone, city=city)
        customer_apply_contact(customer)
        customer.save()
        snapshot(customer, quadrant=quadrant)


def _log_in(page: Any, url: str, make_user: Any) -> None:
    user = make_user(Role.OPERATIONS, username="marketing")
    page.goto(f"{url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "guanxi-test-pass")
    page.click("form[action$='/login/'] button[type=submit]")
    page.wait_for_url(f"{url}/")


def _count_is(page: Any, n: str) -> None:
    # Polled by time: animation frames do not come to a headless page here.
    page.wait_for_function(
        "n => document.querySelector('#live-count')?.innerText === n",
        arg=n,
        polling=100,
    )


def _settled(page: Any) -> None:
    """Wait until htmx has wired up what it swapped in: new content keeps the
    class htmx-added until its settle step (20 ms later) processes it, and a
    change made before then would miss the new element's handlers."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-added, .htmx-request, .htmx-settling')",
        polling=50,
    )


def _shows(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => document.querySelector(s)?.innerText === t",
        arg=[selector, text],
        polling=100,
    )


def test_build_a_segment_in_english_and_in_chinese(
    live_server: Any, people: None, make_user: Any, page: Any
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, live_server.url, make_user)

    page.goto(f"{live_server.url}/segments/")
    page.click("#new-segment")
    page.wait_for_url(f"{live_server.url}/segments/new/")
    assert page.inner_text("h1") == "New segment"
    _count_is(page, "3")  # the first rule: value quadrant is star

    # Another value: the count follows.
    page.select_option("[name='r.0.value']", "basic")
    _count_is(page, "1")
    page.select_option("[name='r.0.value']", "star")
    _count_is(page, "3")

    # A second rule; its field becomes the city, with operators that fit.
    page.click("button[value='add-rule:r']")
    page.wait_for_selector("[name='r.1.field']")
    _settled(page)
    page.select_option("[name='r.1.field']", "city")
    page.wait_for_selector("input[name='r.1.value']")
    _settled(page)
    assert page.locator("[name='r.1.op'] option").all_inner_texts() == [
        "is",
        "is not",
        "is one of",
        "is none of",
        "is empty",
        "is not empty",
    ]
    page.fill("input[name='r.1.value']", "上海")
    _count_is(page, "2")
    assert "王芳" in page.inner_text("#preview")
    assert "赵敏" not in page.inner_text("#preview")

    # A group of "any" with one rule; removed again.
    page.click("button[value='add-group:r']")
    page.wait_for_selector("[name='r.2.kind']")
    _settled(page)
    page.click("button[value='remove:r.2']")
    page.wait_for_selector("[name='r.2.kind']", state="detached")
    _settled(page)
    _count_is(page, "2")

    # A bad value names its rule; a good one counts again.
    page.select_option("[name='r.0.field']", "orders")
    page.wait_for_selector("input[name='r.0.value']")
    _settled(page)
    page.fill("input[name='r.0.value']", "-1")
    _shows(
        page,
        "#preview-error",
        "Rule 1 (orders): the value must be from 0 to 1,000,000,000",
    )
    page.select_option("[name='r.0.field']", "quadrant")
    _count_is(page, "2")

    page.fill("#id_name", "上海明星 Shanghai stars")
    page.click("#save-segment")
    saved = Segment.objects.get(name="上海明星 Shanghai stars")
    page.wait_for_url(f"{live_server.url}/segments/{saved.pk}/")
    assert page.inner_text("#segment-count") == "2"
    members = page.inner_text("#segment-members")
    assert "王芳" in members and "李雷" in members and "张伟" not in members
    assert saved.rules == {
        "all": [
            {"field": "quadrant", "op": "eq", "value": "star"},
            {"field": "city", "op": "eq", "value": "上海"},
        ]
    }

    # 中文: the same builder, the same live count.
    page.click("button[lang=zh-hans]")
    page.wait_for_load_state()
    page.click("#edit-segment")
    page.wait_for_selector("[name='r.kind']")
    _settled(page)
    assert page.inner_text("h1") == "编辑分群"
    assert page.locator("[name='r.kind'] option:checked").inner_text() == "满足以下全部"
    _count_is(page, "2")
    page.select_option("[name='r.kind']", "any")
    _count_is(page, "4")  # star, or in 上海
    assert "占 4 位客户的 100.0 %" in page.inner_text("#live-share")
    page.select_option("[name='r.kind']", "none")
    _count_is(page, "0")
    page.fill("input[name='r.1.value']", "北京")
    _count_is(page, "1")  # neither a star nor in 北京: 张伟
    assert errors == []
