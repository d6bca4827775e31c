"""Delivery through a real SMTP server on 127.0.0.1 (aiosmtpd): what the
server received is asserted, not what Guanxi thinks it sent."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone
from tests.outbox import consent_set

from guanxi.core.errors import ValidationFailed
from guanxi.messaging.links import unsubscribe_read
from guanxi.messaging.models import Message, SuppressedAddress
from guanxi.messaging.outbox import (
    backoff_seconds,
    message_sent,
    messages_claim,
    messages_renew,
)
from guanxi.messaging.services import broadcast_send, messages_dispatch
from guanxi.messaging.tests.servers import SmtpRecorder

pytestmark = pytest.mark.django_db
TEMPLATE = "Subject: 你好 {{ name }}\n\n亲爱的 {{ name }}：\n\n新茶到了。\n"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _customers(make_customer: Any, n: int, *, consent: bool = False) -> list[Any]:
    made = []
    for i in range(n):
        customer = make_customer(name=f"客户{i}", email=f"c{i}@example.com")
        if consent:
            consent_set(customer)
        made.append(customer)
    return made


def _send(purpose: str = "service", audience: str = "all") -> dict[str, object]:
    return broadcast_send(
        channel="email", purpose=purpose, template_text=TEMPLATE, audience=audience
    ).as_dict()


def _statuses() -> list[tuple[str, str]]:
    return list(Message.objects.order_by("customer_id").values_list("status", "reason"))


def test_service_mail_arrives_once_each_multipart_with_a_stable_id(
    smtp: SmtpRecorder, make_customer: Any
) -> None:
    customers = _customers(make_customer, 3)
    assert _send() == {"queued": 3, "suppressed": {}}
    assert messages_dispatch() == {"sent": 3}
    got = {m["To"]: m for m in smtp.received}
    assert sorted(got) == ["c0@example.com", "c1@example.com", "c2@example.com"]
    mail = got["c1@example.com"]
    assert mail["Subject"] == "你好 客户1"
    assert mail["From"] == "shop@example.com"
    assert mail.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in mail.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    plain = mail.get_body(("plain",))
    assert plain is not None
    text = plain.get_content().replace("\r\n", "\n")
    assert text == "亲爱的 客户1：\n\n新茶到了。"
    key = Message.objects.get(customer=customers[1]).idempotency_key
    assert mail["Message-ID"] == f"<{key}@example.com>"
    assert mail["List-Unsubscribe"] is None  # service mail
    assert _statuses() == [("sent", "")] * 3
    assert messages_dispatch() == {}  # nothing is sent twice


def test_marketing_needs_consent_and_carries_one_click_unsubscribe(
    smtp: SmtpRecorder, make_customer: Any
) -> None:
    yes = _customers(make_customer, 1, consent=True)[0]
    make_customer(name="无同意", email="no@example.com")
    make_customer(name="无邮箱")
    assert _send("marketing") == {
        "queued": 1,
        "suppressed": {"no_address": 1, "no_consent": 1},
    }
    messages_dispatch()
    assert [m["To"] for m in smtp.received] == ["c0@example.com"]
    mail = smtp.received[0]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(mail["List-Unsubscribe"]).strip()  # may be folded
    assert link.startswith("<http://127.0.0.1:8000/m/unsubscribe/") and link.endswith(
        "/>"
    )
    token = link[len("<http://127.0.0.1:8000/m/unsubscribe/") : -2]
    message = Message.objects.get(customer=yes)
    assert unsubscribe_read(token) == {"c": yes.pk, "ch": "email", "m": message.pk}
    assert unsubscribe_read(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_451_three_times_then_250_is_delivered_once(
    smtp: SmtpRecorder, make_customer: Any
) -> None:
    _customers(make_customer, 1)
    smtp.data_answers[:] = ["451 4.3.0 try again later"] * 3
    _send()
    assert messages_dispatch() == {"retry": 3, "sent": 1}
    assert smtp.attempts == 4
    assert [m["To"] for m in smtp.received] == ["c0@example.com"]
    message = Message.objects.get()
    assert (message.status, message.attempts, message.last_error) == ("sent", 4, "")


def test_550_for_the_recipient_fails_at_once_and_suppresses_the_address(
    smtp: SmtpRecorder, make_customer: Any
) -> None:
    customer = _customers(make_customer, 1)[0]
    smtp.rcpt_answers["c0@example.com"] = "550 5.1.1 no such user"
    _send()
    assert messages_dispatch() == {"failed": 1}
    message = Message.objects.get()
    assert (message.status, message.attempts, message.last_error) == (
        "failed",
        1,
        "SMTP 550 for the recipient",
    )
    assert smtp.received == []
    assert list(SuppressedAddress.objects.values_list("channel", "address_index")) == [
        ("email", customer.email_index)
    ]
    # The next send to that address is suppressed with its reason.
    assert _send() == {"queued": 0, "suppressed": {"address_suppressed": 1}}


def test_a_server_that_keeps_failing_ends_failed_after_the_last_attempt(
    smtp: SmtpRecorder, make_customer: Any, settings: Any
) -> None:
    settings.GUANXI_MESSAGE_MAX_ATTEMPTS = 3
    _customers(make_customer, 1)
    smtp.data_answers[:] = ["421 4.7.0 busy"] * 10
    _send()
    assert messages_dispatch() == {"retry": 3}
    assert smtp.attempts == 3
    message = Message.objects.get()
    assert (message.status, message.attempts, message.last_error) == (
        "failed",
        3,
        "SMTP 421",
    )


def test_a_refused_connection_is_retried_later_with_backoff(
    make_customer: Any, settings: Any
) -> None:
    from guanxi.messaging.tests.servers import free_port

    settings.GUANXI_EMAIL_URL = f"smtp://127.0.0.1:{free_port()}"  # nobody listens
    settings.GUANXI_QUIET_HOURS = ""
    _customers(make_customer, 1)
    _send()
    before = timezone.now()
    assert messages_dispatch() == {"retry": 1}
    after = timezone.now()
    message = Message.objects.get()
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.last_error == "SMTP connection: ConnectionRefusedError"
    # Half to all of 30 s after the attempt (made between before and after).
    assert before + dt.timedelta(seconds=15) <= message.next_attempt_at
    assert message.next_attempt_at <= after + dt.timedelta(seconds=30)


def test_a_server_down_then_up_gets_everything_once(
    make_customer: Any, settings: Any
) -> None:
    from guanxi.messaging.tests.servers import free_port, smtp_server

    port = free_port()
    settings.GUANXI_EMAIL_URL = f"smtp://127.0.0.1:{port}"  # down for now
    settings.GUANXI_QUIET_HOURS = ""
    _customers(make_customer, 5)
    _send()
    assert messages_dispatch() == {"retry": 5}
    assert messages_dispatch() == {}  # none due before its backoff
    later = timezone.now() + dt.timedelta(minutes=2)
    with smtp_server(port=port) as (smtp, _port):
        assert messages_dispatch(clock=lambda: later) == {"sent": 5}
        assert messages_dispatch(clock=lambda: later) == {}
    assert sorted(m["To"] for m in smtp.received) == [
        f"c{i}@example.com" for i in range(5)
    ]
    assert set(Message.objects.values_list("status", "attempts")) == {("sent", 2)}


def test_backoff_is_exponential_capped_and_jittered(settings: Any) -> None:
    settings.GUANXI_MESSAGE_RETRY_BASE_SECONDS = 30
    settings.GUANXI_MESSAGE_RETRY_CAP_SECONDS = 3600
    rng = random.Random(7)
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (8, 3600), (30, 3600)]:
        waits = [backoff_seconds(attempts, rng=rng) for _ in range(200)]
        assert ceiling / 2 <= min(waits) and max(waits) <= ceiling
        assert max(waits) - min(waits) > ceiling / 4  # jittered, not one value


def test_a_lapsed_lease_is_claimed_again_and_the_old_holder_cannot_finish(
    make_customer: Any, settings: Any
) -> None:
    settings.GUANXI_EMAIL_URL = "smtp://127.0.0.1:25"
    _customers(make_customer, 2)
    _send()
    now = timezone.now() + dt.timedelta(seconds=1)
    first, ids = messages_claim(limit=10, lease_seconds=60, now=now)
    assert len(ids) == 2
    assert messages_claim(limit=10, lease_seconds=60, now=now)[1] == []
    assert set(Message.objects.values_list("status", flat=True)) == {"sending"}
    later = now + dt.timedelta(seconds=61)
    second, again = messages_claim(limit=10, lease_seconds=60, now=later)
    assert again == ids
    assert not message_sent(message_id=ids[0], token=first)
    assert message_sent(message_id=ids[0], token=second)
    assert list(Message.objects.order_by("id").values_list("status", "attempts")) == [
        ("sent", 2),
        ("sending", 2),
    ]


def test_a_renewed_lease_is_kept_and_a_lapsed_one_is_lost(
    make_customer: Any, settings: Any
) -> None:
    settings.GUANXI_EMAIL_URL = "smtp://127.0.0.1:25"
    _customers(make_customer, 2)
    _send()
    now = timezone.now() + dt.timedelta(seconds=1)
    token, ids = messages_claim(limit=10, lease_seconds=60, now=now)
    renewed_at = now + dt.timedelta(seconds=50)
    assert messages_renew(
        ids=ids, token=token, lease_seconds=60, now=renewed_at
    ) == set(ids)
    assert messages_claim(limit=10, now=now + dt.timedelta(seconds=61))[1] == []
    _other, again = messages_claim(limit=10, now=renewed_at + dt.timedelta(seconds=61))
    assert again == ids
    assert messages_renew(ids=ids, token=token, now=renewed_at) == set()


def test_consent_withdrawn_before_the_send_suppresses_it(
    smtp: SmtpRecorder, make_customer: Any
) -> None:
    customer = _customers(make_customer, 1, consent=True)[0]
    assert _send("marketing") == {"queued": 1, "suppressed": {}}
    consent_set(customer, granted=False, source="unsubscribe")
    assert messages_dispatch() == {"suppressed": 1}
    assert smtp.received == []
    assert _statuses() == [("suppressed", "no_consent")]


def test_quiet_hours_defer_marketing_but_not_service(
    smtp: SmtpRecorder, make_customer: Any, settings: Any
) -> None:
    settings.GUANXI_QUIET_HOURS = "21:00-09:00"
    settings.TIME_ZONE = "Asia/Shanghai"
    _customers(make_customer, 1, consent=True)
    _send("marketing")
    _send("service")
    # Tomorrow night in Shanghai: the messages were queued now, so they are due.
    tomorrow = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1)
    night = dt.datetime.combine(tomorrow, dt.time(22, 30), tzinfo=SHANGHAI)
    assert messages_dispatch(clock=lambda: night) == {"deferred": 1, "sent": 1}
    waiting = Message.objects.get(purpose="marketing")
    assert (waiting.status, waiting.attempts) == ("queued", 0)
    morning = dt.datetime.combine(
        tomorrow + dt.timedelta(days=1), dt.time(9, 0), tzinfo=SHANGHAI
    )
    assert waiting.next_attempt_at == morning
    assert messages_dispatch(clock=lambda: morning) == {"sent": 1}
    assert len(smtp.received) == 2


def test_the_weekly_marketing_cap_suppresses_the_third_but_not_service(
    smtp: SmtpRecorder, make_customer: Any
) -> None:
    _customers(make_customer, 1, consent=True)
    for _ in range(3):
        _send("marketing")
    _send("service")
    assert messages_dispatch() == {"sent": 3, "suppressed": 1}
    assert sorted(_statuses()) == [
        ("sent", ""),
        ("sent", ""),
        ("sent", ""),
        ("suppressed", "frequency_cap"),
    ]
    assert len(smtp.received) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"channel": "fax"}, "Unknown channel: 'fax'."),
        (
            {"purpose": "profiling"},
            "The purpose is service or marketing, not 'profiling'.",
        ),
        ({"channel": "sms"}, "SMS is not set up: set GUANXI_SMS_PROVIDER."),
        ({"audience": "segment:无此分群"}, "No segment is named '无此分群'."),
        (
            {"audience": "some"},
            "The audience is all, segment:NAME or file:IDS.csv, not 'some'.",
        ),
        (
            {"template_text": "Subject: x\n\n{{ nope }}"},
            "Line 3: unknown variable 'nope'",
        ),
    ],
)
def test_a_bad_send_is_refused_and_nothing_is_queued(
    smtp: SmtpRecorder, make_customer: Any, kwargs: dict[str, str], message: str
) -> None:
    _customers(make_customer, 1)
    values = {
        "channel": "email",
        "purpose": "service",
        "template_text": TEMPLATE,
        "audience": "all",
    }
    values.update(kwargs)
    with pytest.raises(ValidationFailed) as caught:
        broadcast_send(**values)
    assert caught.value.message == message
    assert Message.objects.count() == 0


def test_email_not_set_up_is_refused(make_customer: Any, settings: Any) -> None:
    settings.GUANXI_EMAIL_URL = ""
    _customers(make_customer, 1)
    with pytest.raises(ValidationFailed) as caught:
        _send()
    assert caught.value.message == "E-mail is not set up: set GUANXI_EMAIL_URL."
    settings.GUANXI_EMAIL_URL = "http://user:secret@mail.example.com"
    with pytest.raises(ValidationFailed) as caught:
        _send()
    assert "secret" not in caught.value.message
    assert caught.value.message.startswith(
        "GUANXI_EMAIL_URL must look like smtp://host:port"
    )
    assert Message.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_minute_sweep_waits_when_the_embedded_database_stays_locked(
    smtp: SmtpRecorder, make_customer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import sqlite3

    from django.db import connection

    from guanxi.messaging.tasks import messages_dispatch_periodic_task

    if connection.vendor != "sqlite":
        pytest.skip("the embedded database's lock")
    _customers(make_customer, 1)
    _send("service")
    options = connection.settings_dict["OPTIONS"]
    timeout = options["timeout"]
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    connection.close()
    options["timeout"] = 0.2
    try:
        other.execute("BEGIN IMMEDIATE")  # a long import holds the write lock
        messages_dispatch_periodic_task.call_local()  # no exception
        assert "messages: the database is busy" in caplog.text
        other.execute("ROLLBACK")
        assert smtp.received == []
        messages_dispatch_periodic_task.call_local()
    finally:
        other.close()
        connection.close()
        options["timeout"] = timeout
    assert len(smtp.received) == 1
    assert _statuses() == [("sent", "")]
