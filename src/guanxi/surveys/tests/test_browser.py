"""The public answer page in Debian's Chromium at a phone's 390 px: one
customer answers the NPS survey in Chinese (their language), another
switches to English; a detractor's answer opens a care task. The staff's
survey page fits a phone too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from tests.access import build_world
from tests.browser import chromium_page, fits_width, screenshot

from guanxi.care.models import CareTask
from guanxi.surveys.links import survey_token
from guanxi.surveys.models import Answer, Invitation, Survey

pytestmark = [pytest.mark.browser]

PASSWORD = "longjing-7-pass"


@pytest.fixture
def phone_page(request: Any) -> Iterator[Any]:
    width = getattr(request, "param", 390)
    with chromium_page(
        timeout_ms=15_000,
        locale="zh-CN",
        viewport={"width": width, "height": 844},
    ) as page:
        yield page


def _surveys() -> None:
    """The shipped surveys (a transactional test's flush removed them)."""
    from guanxi.surveys.defaults import default_rows

    for row in default_rows():
        Survey.objects.get_or_create(kind=row["kind"], defaults=row)


def _link(customer: Any, kind: str = "nps") -> str:
    invitation = Invitation.objects.create(
        survey=Survey.objects.get(kind=kind),
        customer=customer,
        trigger="order_delivered",
        nonce="a1b2c3d4e5f60718",
        expires_at=timezone.now() + dt.timedelta(days=14),
    )
    token = survey_token(
        invitation_id=invitation.pk, customer_id=customer.pk, nonce=invitation.nonce
    )
    return f"/s/{token}/"


@pytest.mark.parametrize("phone_page", [390, 1280], indirect=True)
def test_customers_answer_on_a_phone_in_both_languages(
    live_server: Any, transactional_db: Any, phone_page: Any
) -> None:
    world = build_world()
    _surveys()
    page = phone_page
    width = page.viewport_size["width"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # In Chinese, the invitation's language: a detractor with a reason.
    page.goto(live_server.url + _link(world.own_customer))
    assert page.inner_text("h1") == "您愿意向朋友推荐我们吗？"
    assert fits_width(page)
    screenshot(page, f"survey-nps-zh-{width}")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "请选择 0 到 10 之间的分数。" in page.inner_text(".survey-error")
    page.click(".survey-scores label:has(input[value='4'])")
    page.fill("textarea[name=text]", "<b>送货太慢</b>")
    page.click("button[type=submit]")
    page.wait_for_selector(".survey-done")
    assert "感谢您的反馈！" in page.inner_text(".survey-done")
    answer = Answer.objects.get(customer=world.own_customer)
    assert (answer.score, answer.text, answer.language) == (
        4,
        "<b>送货太慢</b>",
        "zh-hans",
    )
    assert CareTask.objects.filter(customer=world.own_customer).count() == 1
    assert fits_width(page)

    # Another customer switches to English.
    page.goto(live_server.url + _link(world.foreign_customer, "csat"))
    page.click(".survey-lang a[lang=en]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "How satisfied are you?"
    assert fits_width(page)
    screenshot(page, f"survey-csat-en-{width}")
    page.click(".survey-scores label:has(input[value='5'])")
    page.fill("textarea[name=text]", "Great tea.")
    page.click("button[type=submit]")
    page.wait_for_selector(".survey-done")
    assert "Thank you for your rating!" in page.inner_text(".survey-done")
    answer = Answer.objects.get(customer=world.foreign_customer)
    assert (answer.score, answer.language) == (5, "en")
    assert CareTask.objects.filter(customer=world.foreign_customer).count() == 0

    # The link cannot be used again.
    page.reload()
    assert "This survey has already been answered. Thank you!" in page.inner_text(
        ".survey-refused"
    )

    # The staff's page (report and surveys) fits the same screen.
    admin = world.users["admin"]
    admin.set_password(PASSWORD)
    admin.save()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", admin.get_username())
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/surveys/")
    assert page.locator("#survey-table tbody tr").count() == 4
    assert page.locator("#chart-time svg").count() == 1
    assert fits_width(page)
    screenshot(page, f"survey-report-zh-{width}")
    page.click("button[lang=en]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Surveys"
    assert fits_width(page)
    screenshot(page, f"survey-report-en-{width}")
    assert errors == []
