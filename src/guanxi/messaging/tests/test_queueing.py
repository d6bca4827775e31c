"""Queueing written by the database (``INSERT … SELECT``): the same rows,
keys and reasons as one would write them one by one."""

from __future__ import annotations

from typing import Any

import pytest
from tests.outbox import consent_set

from guanxi.messaging.models import Broadcast, Message, SuppressedAddress
from guanxi.messaging.outbox import idempotency_key
from guanxi.messaging.services import broadcast_send

pytestmark = pytest.mark.django_db
TEMPLATE = "Subject: 你好 {{ name }}\n\n新茶到了。\n"


def _rows() -> list[tuple[str, str, str]]:
    return list(
        Message.objects.order_by("customer_id").values_list(
            "customer__name", "status", "reason"
        )
    )


def test_marketing_e_mail_each_reason_and_the_keys(
    smtp: Any, make_customer: Any
) -> None:
    ok = make_customer(name="a-ok", email="ok@example.com")
    consent_set(ok)
    withdrawn = make_customer(name="b-withdrawn", email="w@example.com")
    consent_set(withdrawn)
    consent_set(withdrawn, granted=False)
    make_customer(name="c-never", email="n@example.com")
    no_mail = make_customer(name="d-no-address", email=None)
    consent_set(no_mail)
    bounced = make_customer(name="e-bounced", email="b@example.com")
    consent_set(bounced)
    SuppressedAddress.objects.create(
        channel="email", address_index=bounced.email_index, code="550"
    )
    sms_only = make_customer(name="f-sms-consent", email="s@example.com")
    consent_set(sms_only, channel="sms")
    count = broadcast_send(
        channel="email", purpose="marketing", template_text=TEMPLATE, audience="all"
    )
    assert count.as_dict() == {
        "queued": 1,
        "suppressed": {"address_suppressed": 1, "no_address": 1, "no_consent": 3},
    }
    assert _rows() == [
        ("a-ok", "queued", ""),
        ("b-withdrawn", "suppressed", "no_consent"),
        ("c-never", "suppressed", "no_consent"),
        ("d-no-address", "suppressed", "no_address"),
        ("e-bounced", "suppressed", "address_suppressed"),
        ("f-sms-consent", "suppressed", "no_consent"),
    ]
    cause = str(Broadcast.objects.get())
    for message in Message.objects.all():
        assert message.idempotency_key == idempotency_key(
            cause=cause, customer_id=message.customer_id, channel="email"
        )
        assert message.cause == cause
        assert message.attempts == 0
        assert message.next_attempt_at == message.created_at


def test_a_webhook_needs_consent_on_the_preferred_channel(
    settings: Any, make_customer: Any
) -> None:
    settings.GUANXI_WEBHOOK_URL = "https://hooks.example.com/in"
    settings.GUANXI_WEBHOOK_SECRET = "k"
    sms = make_customer(name="a-sms", preferred_channel="sms")
    consent_set(sms, channel="sms")
    email = make_customer(name="b-email-no", preferred_channel="email")
    consent_set(email, channel="sms")
    make_customer(name="c-none", preferred_channel="")
    count = broadcast_send(
        channel="webhook", purpose="marketing", template_text=TEMPLATE, audience="all"
    )
    assert count.as_dict() == {"queued": 1, "suppressed": {"no_consent": 2}}
    assert _rows() == [
        ("a-sms", "queued", ""),
        ("b-email-no", "suppressed", "no_consent"),
        ("c-none", "suppressed", "no_consent"),
    ]
    service = broadcast_send(
        channel="webhook", purpose="service", template_text=TEMPLATE, audience="all"
    )
    assert service.as_dict() == {"queued": 3, "suppressed": {}}
