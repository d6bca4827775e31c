"""What came of each broadcast: sent, delivered, opened, clicked, converted,
on a small fixture counted by hand."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from tests.outbox import consent_set

from guanxi.commerce.models import Order
from guanxi.messaging.events import message_event_record
from guanxi.messaging.models import Broadcast, Message
from guanxi.messaging.selectors import broadcast_figures, broadcast_figures_many
from guanxi.messaging.services import broadcast_send, messages_dispatch
from guanxi.messaging.tests.servers import SmtpRecorder

pytestmark = pytest.mark.django_db
T = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
TEMPLATE = "Subject: 新茶\n\n新茶到了。\n"


def _order(customer: Any, at: dt.datetime, status: str = "paid") -> None:
    Order.objects.create(
        source="test",
        external_id=f"{customer.pk}-{at.isoformat()}",
        customer=customer,
        ordered_at=at,
        amount=Decimal("88.00"),
        status=status,
    )


def _event(message: Message, kind: str) -> None:
    message_event_record(message_id=message.pk, kind=kind, occurred_at=T)


@pytest.fixture
def world(smtp: SmtpRecorder, make_customer: Any) -> dict[str, Any]:
    """Broadcast A (service e-mail to c0…c4, sent at T), broadcast B
    (marketing e-mail, only c0 consented, sent at T + 3 days), broadcast C
    (two SMS, one with a delivery receipt)."""
    c = [make_customer(name=f"客户{i}", email=f"c{i}@example.com") for i in range(5)]
    broadcast_send(
        channel="email", purpose="service", template_text=TEMPLATE, audience="all"
    )
    assert messages_dispatch() == {"sent": 5}
    a = Broadcast.objects.get()
    Message.objects.filter(broadcast=a).update(sent_at=T)
    consent_set(c[0])
    broadcast_send(
        channel="email", purpose="marketing", template_text=TEMPLATE, audience="all"
    )
    assert messages_dispatch() == {"sent": 1}
    b = Broadcast.objects.exclude(pk=a.pk).get()
    Message.objects.filter(broadcast=b).update(sent_at=T + 3 * DAY)

    mails = {m.customer_id: m for m in Message.objects.filter(broadcast=a)}
    _event(mails[c[0].pk], "opened")
    _event(mails[c[0].pk], "clicked")
    _event(mails[c[1].pk], "opened")
    _event(mails[c[2].pk], "bounced")

    _order(c[0], T + DAY)  # A: converted (B was sent later)
    _order(c[0], T + 4 * DAY)  # A: converted already; B: converted
    _order(c[1], T - dt.timedelta(hours=1))  # before A
    _order(c[1], T + 7 * DAY)  # 7 days after: outside [T, T + 7 days)
    _order(c[2], T + 2 * DAY, status="cancelled")  # no purchase
    _order(c[3], T + 7 * DAY - dt.timedelta(minutes=1))  # A: converted
    # c4: no order.

    sms = Broadcast.objects.create(
        channel="sms", purpose="service", body="x", audience="all"
    )
    for i, customer in enumerate(c[:2]):
        message = Message.objects.create(
            cause=f"sms-{i}",
            broadcast=sms,
            customer=customer,
            channel="sms",
            purpose="service",
            idempotency_key=f"sms-key-{i}",
            status="sent",
            sent_at=T + 10 * DAY,
        )
        if i == 0:
            _event(message, "delivered")
    return {"a": a.pk, "b": b.pk, "sms": sms.pk}


def test_figures_per_broadcast_counted_by_hand(
    world: dict[str, Any], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        got = broadcast_figures_many([world["a"], world["b"], world["sms"], 999])
    assert {k: v.as_dict() for k, v in got.items()} == {
        world["a"]: {
            "broadcast": world["a"],
            "sent": 5,
            "delivered": 4,
            "opened": 2,
            "clicked": 1,
            "converted": 2,
            "conversion_rate": 0.4,
        },
        world["b"]: {
            "broadcast": world["b"],
            "sent": 1,
            "delivered": 1,
            "opened": 0,
            "clicked": 0,
            "converted": 1,
            "conversion_rate": 1.0,
        },
        world["sms"]: {
            "broadcast": world["sms"],
            "sent": 2,
            "delivered": 1,
            "opened": 0,
            "clicked": 0,
            "converted": 0,
            "conversion_rate": 0.0,
        },
        999: {
            "broadcast": 999,
            "sent": 0,
            "delivered": 0,
            "opened": 0,
            "clicked": 0,
            "converted": 0,
            "conversion_rate": None,
        },
    }


def test_the_window_is_the_setting(world: dict[str, Any], settings: Any) -> None:
    assert broadcast_figures(world["a"]).converted == 2
    settings.GUANXI_CONVERSION_DAYS = 8  # c1's order 7 days after now counts
    assert broadcast_figures(world["a"]).converted == 3
    assert broadcast_figures(world["a"], days=1).converted == 0  # c0's is 1 day on


def test_messages_report_prints_the_figures(world: dict[str, Any]) -> None:
    out = StringIO()
    call_command("messages", "report", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert [r["broadcast"] for r in rows] == [world["sms"], world["b"], world["a"]]
    assert rows[2]["converted"] == 2 and rows[2]["conversion_rate"] == 0.4
    out = StringIO()
    call_command("messages", "report", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == [
        "Broadcast",
        "Channel",
        "Sent",
        "Delivered",
        "Opened",
        "Clicked",
        "Converted",
        "Rate",
    ]
    assert lines[3].split() == [
        str(world["a"]),
        "Email",
        "5",
        "4",
        "2",
        "1",
        "2",
        "40.0%",
    ]
    status = StringIO()
    call_command("messages", "status", "--json", stdout=status)
    assert json.loads(status.getvalue()) == {
        "queued": 0,
        "sending": 0,
        "sent": 8,
        "failed": 0,
        "suppressed": 4,
    }


def test_messages_report_speaks_chinese_and_refuses_a_bad_limit(
    world: dict[str, Any],
) -> None:
    with translation.override("zh-hans"):
        out = StringIO()
        call_command("messages", "report", "--limit", "1", stdout=out)
        lines = out.getvalue().splitlines()
        assert lines[0].split() == [
            "群发",
            "渠道",
            "已发送",
            "已送达",
            "已打开",
            "已点击",
            "已转化",
            "转化率",
        ]
        assert lines[1].split() == [
            str(world["sms"]),
            "短信",
            "2",
            "1",
            "0",
            "0",
            "0",
            "0.0%",
        ]
        with pytest.raises(CommandError) as refused:
            call_command("messages", "report", "--limit", "0", stdout=StringIO())
        assert str(refused.value) == "--limit 须为 1 到 1000 之间的整数。"
