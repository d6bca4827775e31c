"""What the preference page changes reaches delivery: a marketing e-mail sent
afterwards (through a real SMTP server on 127.0.0.1) honours it; marketing
mail carries the page in its footer, and ``{{ preferences_url }}`` is the
customer's own link."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.outbox import consent_set

from guanxi.messaging.links import preferences_read
from guanxi.messaging.models import Message
from guanxi.messaging.rendering import part_check
from guanxi.messaging.services import broadcast_send, messages_dispatch
from guanxi.messaging.tests.servers import SmtpRecorder

pytestmark = pytest.mark.django_db
BASE = "http://127.0.0.1:8000"


def _subscribed(make_customer: Any, n: int) -> list[Any]:
    made = []
    for i in range(n):
        customer = make_customer(name=f"客户{i}", email=f"c{i}@example.com")
        consent_set(customer)
        made.append(customer)
    return made


def _plain(mail: Any) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def _html(mail: Any) -> str:
    part = mail.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def test_a_marketing_send_after_the_page_honours_it(
    smtp: SmtpRecorder, make_customer: Any
) -> None:
    stays, leaves = _subscribed(make_customer, 2)
    template = "Subject: 新茶\n\n{{ name }}，新茶到了。\n"
    broadcast_send(
        channel="email", purpose="marketing", template_text=template, audience="all"
    )
    messages_dispatch()
    assert sorted(m["To"] for m in smtp.received) == [
        "c0@example.com",
        "c1@example.com",
    ]
    mail = next(m for m in smtp.received if m["To"] == "c1@example.com")
    text = _plain(mail)
    # The footer, in the message's language (Chinese), after the body.
    body, _sep, footer = text.partition("\n\n--\n")
    assert body == "客户1，新茶到了。"
    lines = footer.split("\n")
    assert [line.split(": ")[0] for line in lines] == ["退订", "管理偏好设置"]
    unsubscribe = str(mail["List-Unsubscribe"]).strip()[1:-1]
    assert lines[0] == f"退订: {unsubscribe}"
    prefs = lines[1].removeprefix("管理偏好设置: ")
    assert prefs.startswith(f"{BASE}/m/preferences/")
    assert f'href="{prefs}"' in _html(mail) and ">管理偏好设置</a>" in _html(mail)
    token = prefs[len(f"{BASE}/m/preferences/") : -1]
    assert preferences_read(token).customer_id == leaves.pk

    # The customer follows the link and switches e-mail off.
    path = prefs[len(BASE) :]
    page = Client().post(
        path, {"email": "no", "sms": "no", "wecom": "no", "phone": "no"}
    )
    assert "您的选择已保存。" in page.content.decode()

    smtp.received.clear()
    broadcast_send(
        channel="email", purpose="marketing", template_text=template, audience="all"
    )
    messages_dispatch()
    assert [m["To"] for m in smtp.received] == ["c0@example.com"]
    newest = Message.objects.filter(customer=leaves).order_by("-id").first()
    assert newest is not None
    assert (newest.status, newest.reason) == ("suppressed", "no_consent")
    assert Message.objects.filter(customer=stays, status="sent").count() == 2


def test_service_mail_has_no_footer_and_the_variable_is_the_customers_link(
    smtp: SmtpRecorder, make_customer: Any
) -> None:
    part_check("改偏好：{{ preferences_url }}")  # a known variable
    customer = make_customer(name="张伟", email="zw@example.com", language="en")
    broadcast_send(
        channel="email",
        purpose="service",
        template_text="Subject: Order\n\nSettings: {{ preferences_url }}\n",
        audience="all",
    )
    messages_dispatch()
    [mail] = smtp.received
    text = _plain(mail)
    assert "\n--\n" not in text and mail["List-Unsubscribe"] is None
    link = text.removeprefix("Settings: ").strip()
    token = link.removeprefix(f"{BASE}/m/preferences/").rstrip("/")
    assert preferences_read(token).customer_id == customer.pk
    page = Client().get(link[len(BASE) :])
    assert page.status_code == 200
    assert "<h1>Message preferences</h1>" in page.content.decode()
