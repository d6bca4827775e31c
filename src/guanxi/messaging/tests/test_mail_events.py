"""The mail provider's bounces and complaints (``/m/email/events/``), and the
``unsubscribed`` event of an unsubscribe link, on mail a real SMTP server
received."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from tests.outbox import consent_set

from guanxi.messaging.models import (
    ConsentRecord,
    Message,
    MessageEvent,
    SuppressedAddress,
)
from guanxi.messaging.selectors import consent_current
from guanxi.messaging.services import broadcast_send, messages_dispatch
from guanxi.messaging.tests.servers import SmtpRecorder

pytestmark = pytest.mark.django_db
TOKEN = "events-token-0123456789"
URL = f"/m/email/events/?token={TOKEN}"
TEMPLATE = "Subject: 你好\n\n新茶到了。\n"


@pytest.fixture
def sent(smtp: SmtpRecorder, make_customer: Any, settings: Any) -> list[Message]:
    """Two marketing e-mails sent (customers with marketing consent)."""
    settings.GUANXI_EMAIL_EVENTS_TOKEN = TOKEN
    for i in range(2):
        customer = make_customer(name=f"客户{i}", email=f"c{i}@example.com")
        consent_set(customer)
    broadcast_send(
        channel="email", purpose="marketing", template_text=TEMPLATE, audience="all"
    )
    assert messages_dispatch() == {"sent": 2}
    return list(Message.objects.select_related("customer").order_by("pk"))


def _post(events: Any, url: str = URL) -> Any:
    body = events if isinstance(events, str) else json.dumps(events)
    return Client().post(url, body, content_type="application/json")


def _state() -> tuple[list[Any], list[Any], int]:
    return (
        list(MessageEvent.objects.order_by("pk").values_list("message_id", "kind")),
        list(SuppressedAddress.objects.values_list("channel", "address_index")),
        ConsentRecord.objects.count(),
    )


def test_a_bad_or_missing_token_is_not_found(
    sent: list[Message], settings: Any
) -> None:
    before = _state()
    event = [{"key": sent[0].idempotency_key, "type": "complaint"}]
    assert _post(event, "/m/email/events/?token=guess").status_code == 404
    assert _post(event, "/m/email/events/").status_code == 404
    settings.GUANXI_EMAIL_EVENTS_TOKEN = ""
    assert _post(event, "/m/email/events/?token=").status_code == 404
    assert Client().get(URL).status_code == 405
    assert _state() == before


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("[{", "The body is not JSON."),
        ('{"type": "bounce"}', "The body must be a JSON array of events."),
        ([{"type": "bounce"}] * 1001, "At most 1,000 events per request."),
        ([{"key": "k", "type": "complaint"}, 3], "Event 2 is not an object."),
        ([{"type": "bounce"}], "Event 1 names no message (message_id or key)."),
        ([{"key": "k", "type": "spam"}], "Event 1: type must be bounce or complaint."),
        (
            [{"key": "k", "type": "bounce", "permanent": "yes"}],
            "Event 1: permanent must be true or false.",
        ),
        (
            [{"key": "k", "type": "bounce", "time": "yesterday"}],
            "Event 1: time must be ISO 8601.",
        ),
    ],
)
def test_malformed_requests_are_refused_whole_with_the_reason(
    sent: list[Message], body: Any, error: str
) -> None:
    if isinstance(body, list):  # a good event first: refused all the same
        body = [{"key": sent[0].idempotency_key, "type": "complaint"}, *body]
        error = error.replace("Event 2", "Event 3").replace("Event 1", "Event 2")
        if error.startswith("At most"):
            body = body[1:]
    before = _state()
    got = _post(body)
    assert got.status_code == 400
    assert got.json() == {"error": error}
    assert _state() == before


def test_a_hard_bounce_suppresses_the_address_once(sent: list[Message]) -> None:
    first = sent[0]
    events = [
        {
            "message_id": f"<{first.idempotency_key}@example.com>",
            "type": "bounce",
            "permanent": True,
            "code": "5.1.1",
            "time": "2026-12-05T10:00:00+08:00",
        },
        {"key": sent[1].idempotency_key, "type": "bounce", "permanent": False},
        {
            "key": sent[1].idempotency_key,
            "type": "bounce",
            "permanent": True,
            "code": "<c1@example.com>: Recipient address rejected",
        },
        {"key": "not-ours", "type": "bounce", "permanent": True},
    ]
    got = _post(events)
    assert got.status_code == 200
    assert got.json() == {"recorded": 2, "repeated": 0, "soft": 1, "unknown": 1}
    assert _post(events).json() == {
        "recorded": 0,
        "repeated": 2,
        "soft": 1,
        "unknown": 1,
    }
    bounced = MessageEvent.objects.order_by("message_id")
    assert [(e.message_id, e.kind, e.code) for e in bounced] == [
        (first.pk, "bounced", "5.1.1"),
        (sent[1].pk, "bounced", ""),  # a text that may hold the address: dropped
    ]
    assert bounced[0].occurred_at.isoformat() == "2026-12-05T02:00:00+00:00"
    suppressed = SuppressedAddress.objects.order_by("code")
    assert [(s.channel, s.address_index, s.code) for s in suppressed] == [
        ("email", sent[1].customer.email_index, "bounce"),
        ("email", first.customer.email_index, "bounce 5.1.1"),
    ]
    # Nothing more is sent to that address.
    assert broadcast_send(
        channel="email", purpose="service", template_text=TEMPLATE, audience="all"
    ).as_dict() == {"queued": 0, "suppressed": {"address_suppressed": 2}}


def test_a_complaint_withdraws_marketing_consent_once(sent: list[Message]) -> None:
    customer = sent[1].customer
    events = [
        {"message_id": f"{sent[1].idempotency_key}@example.com", "type": "complaint"}
    ]
    assert _post(events).json()["recorded"] == 1
    assert not consent_current(
        customer_id=customer.pk, purpose="marketing", channel="email"
    )
    newest = ConsentRecord.objects.order_by("-pk").first()
    assert newest is not None
    assert (newest.customer_id, newest.granted, newest.source, newest.evidence) == (
        customer.pk,
        False,
        "complaint",
        f"message {sent[1].pk}",
    )
    assert ConsentRecord.objects.count() == 3
    # The customer consents again; the same complaint pushed again changes nothing.
    consent_set(customer, notice_version="v2")
    assert _post(events).json()["repeated"] == 1
    assert consent_current(
        customer_id=customer.pk, purpose="marketing", channel="email"
    )
    assert ConsentRecord.objects.count() == 4
    assert list(MessageEvent.objects.values_list("message_id", "kind")) == [
        (sent[1].pk, "complained")
    ]


def test_the_unsubscribe_link_records_an_event_on_its_message(
    smtp: SmtpRecorder, sent: list[Message]
) -> None:
    mail = next(m for m in smtp.received if m["To"] == "c0@example.com")
    link = str(mail["List-Unsubscribe"]).strip()[1:-1]
    path = link[len("http://127.0.0.1:8000") :]
    client = Client()
    assert client.get(path).status_code == 200  # a GET changes nothing
    assert MessageEvent.objects.count() == 0
    for _ in range(2):
        assert client.post(path).status_code == 200
    assert list(MessageEvent.objects.values_list("message_id", "kind")) == [
        (sent[0].pk, "unsubscribed")
    ]
