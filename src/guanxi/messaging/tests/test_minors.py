"""A customer under 14 (PIPL arts. 28, 31): no marketing and no tracking
without their guardian's consent; delivered through a real SMTP server."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from tests.outbox import consent_set

from guanxi.messaging.models import Message
from guanxi.messaging.services import broadcast_send, messages_dispatch
from guanxi.messaging.tests.servers import SmtpRecorder
from guanxi.messaging.tracking import _tracking_allowed
from guanxi.privacy.selectors import is_minor

pytestmark = pytest.mark.django_db
TEMPLATE = "Subject: 新茶\n\n新茶到了。\n"


def _years_ago(years: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) + dt.timedelta(days=days)


def test_is_minor_turns_at_the_fourteenth_birthday() -> None:
    today = dt.date(2026, 3, 1)
    assert is_minor(dt.date(2012, 3, 2), today=today)
    assert not is_minor(dt.date(2012, 3, 1), today=today)
    assert not is_minor(None, today=today)
    assert not is_minor("", today=today)


def test_a_minor_gets_marketing_only_with_a_guardians_consent(
    smtp: SmtpRecorder, make_customer: Any
) -> None:
    child = make_customer(
        name="小明", email="child@example.com", birthday=_years_ago(10)
    )
    ward = make_customer(name="小红", email="ward@example.com", birthday=_years_ago(13))
    adult = make_customer(
        name="大人", email="adult@example.com", birthday=_years_ago(14)
    )
    consent_set(child, source="form")  # the child's own consent is not enough
    consent_set(ward, source="guardian")
    consent_set(adult, source="form")
    broadcast_send(
        channel="email", purpose="marketing", template_text=TEMPLATE, audience="all"
    )
    assert messages_dispatch() == {"sent": 2, "suppressed": 1}
    assert sorted(m["To"] for m in smtp.received) == [
        "adult@example.com",
        "ward@example.com",
    ]
    suppressed = Message.objects.get(customer=child)
    assert (suppressed.status, suppressed.reason) == ("suppressed", "minor")
    assert suppressed.get_reason_display() == "Minor without guardian consent"


def test_a_minors_mail_is_tracked_only_with_a_guardians_consent(
    make_customer: Any,
) -> None:
    child = make_customer(name="小明", email="c@example.com", birthday=_years_ago(9))
    consent_set(child, source="form", purpose="profiling")
    assert not _tracking_allowed(child.pk)
    consent_set(child, source="guardian", purpose="profiling")
    assert _tracking_allowed(child.pk)
    adult = make_customer(name="大人", email="a@example.com", birthday=_years_ago(30))
    consent_set(adult, source="form", purpose="profiling")
    assert _tracking_allowed(adult.pk)
