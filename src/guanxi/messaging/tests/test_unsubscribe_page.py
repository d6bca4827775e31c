"""The unsubscribe page opens in the customer's language (not the browser's),
like their preference page, with the same 中文/English switch."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from guanxi.messaging.links import unsubscribe_url
from guanxi.messaging.selectors import consent_current

pytestmark = pytest.mark.django_db


def _customer(subscribed_customer: Any, language: str) -> Any:
    return subscribed_customer(name="Anna", email="anna@example.com", language=language)


def _path(customer: Any) -> str:
    url = unsubscribe_url(customer_id=customer.pk, channel="email")
    return url[len("http://127.0.0.1:8000") :]


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _marketing(customer: Any) -> bool:
    return consent_current(
        customer_id=customer.pk, purpose="marketing", channel="email"
    )


def test_an_english_customer_gets_english_whatever_the_browser(
    subscribed_customer: Any,
) -> None:
    anna = _customer(subscribed_customer, "en")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = client.get(_path(anna))
    text = _text(page)
    assert page.status_code == 200
    assert page["Content-Language"] == "en"
    assert '<html lang="en">' in text
    assert "<h1>Unsubscribe</h1>" in text
    assert "Stop marketing messages by email?" in text
    assert '<a href="?lang=en" lang="en" aria-current="true">English</a>' in text
    assert _marketing(anna)
    done = client.post(_path(anna))
    assert "<h1>You are unsubscribed</h1>" in _text(done)
    assert "You will receive no more marketing messages by email." in _text(done)
    assert not _marketing(anna)


def test_a_chinese_customer_gets_chinese_and_may_switch(
    subscribed_customer: Any,
) -> None:
    wei = _customer(subscribed_customer, "zh-hans")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(_path(wei))
    text = _text(page)
    assert page["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in text
    assert "<h1>退订</h1>" in text
    assert "停止通过电子邮件接收营销消息吗？" in text
    assert '<a href="?lang=zh-hans" lang="zh-hans" aria-current="true">中文</a>' in text
    # The switch: English on request, kept by the form and the preference link.
    english = client.get(_path(wei) + "?lang=en")
    text = _text(english)
    assert english["Content-Language"] == "en"
    assert "<h1>Unsubscribe</h1>" in text
    assert f'action="{_path(wei)}?lang=en"' in text
    found = re.search(r'href="(/m/preferences/[^"]+/)\?lang=en"', text)
    assert found is not None
    done = client.post(_path(wei) + "?lang=en")
    assert "<h1>You are unsubscribed</h1>" in _text(done)
    assert not _marketing(wei)
    # Without the switch, the confirmation is in the customer's language.
    again = client.post(_path(wei))
    assert "<h1>您已退订</h1>" in _text(again)
    assert "您将不再通过电子邮件收到营销消息。" in _text(again)
    assert client.get(found.group(1) + "?lang=en")["Content-Language"] == "en"


def test_an_unknown_language_in_the_switch_is_ignored(subscribed_customer: Any) -> None:
    anna = _customer(subscribed_customer, "en")
    page = Client().get(_path(anna) + "?lang=fr")
    assert page["Content-Language"] == "en"
    assert "<h1>Unsubscribe</h1>" in _text(page)
