"""Stored codes reach people as words: channels and sources in both languages,
on the order page and the customer's timeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from guanxi.commerce.models import Order
from guanxi.customers.models import Interaction
from guanxi.web.templatetags.guanxi_words import channel_label, source_label

WHEN = dt.datetime(2026, 10, 1, 10, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "zh-hans",
            ["门店", "企业微信", "天猫", "演示数据", "文件导入", "old-crm", "—"],
        ),
        (
            "en",
            ["In store", "WeCom", "Tmall", "Demo data", "File import", "old-crm", "—"],
        ),
    ],
)
def test_codes_in_words(language: str, expected: list[str]) -> None:
    with translation.override(language):
        got = [
            channel_label("store"),
            channel_label("wecom"),
            channel_label("TMALL"),
            source_label("demo"),
            source_label("import"),
            source_label("old-crm"),
            channel_label(None) or "—",
        ]
    assert got == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words", "codes"),
    [
        ("zh-hans", ["门店", "演示数据"], ["· store", ">demo<", ">store<"]),
        ("en", ["In store", "Demo data"], ["· store", ">demo<", ">store<"]),
    ],
)
def test_order_page_and_timeline_show_no_codes(
    users: Any, make_customer: Any, language: str, words: list[str], codes: list[str]
) -> None:
    customer = make_customer(name="王芳")
    order = Order.objects.create(
        source="demo",
        external_id="D-1",
        customer=customer,
        ordered_at=WHEN,
        amount=Decimal("128.00"),
        channel="store",
        store="西湖店",
    )
    Interaction.objects.create(
        customer=customer, kind="visit", occurred_at=WHEN, channel="store"
    )
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(users["admin"])
    page = client.get(f"/orders/{order.pk}/").content.decode()
    timeline = client.get(f"/customers/{customer.pk}/").content.decode()
    for word in words[:2]:
        assert word in page
    assert words[0] in timeline
    for code in codes:
        assert code not in page.replace("\n", "")
        assert code not in timeline
