"""The customer's language and time zone: each customer of one broadcast gets
the version of the template in their language (the other one when the
template lacks theirs), recorded on the message; quiet hours are kept in the
customer's time zone. Mail is asserted as a real SMTP server received it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest

from guanxi.messaging.models import Broadcast, Message
from guanxi.messaging.services import (
    broadcast_preview,
    broadcast_send,
    broadcast_send_stored,
    messages_dispatch,
)
from guanxi.messaging.stored import TemplateFields, template_language, template_save
from guanxi.messaging.tests.servers import SmtpRecorder

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _template(users: dict[str, Any], **changes: str) -> Any:
    values = {
        "name": "新品",
        "channel": "email",
        "purpose": "service",
        "subject_zh": "{{ name }}，新茶到了",
        "body_zh": "{{ name }}，您好：明前龙井到店。\n",
        "subject_en": "New tea, {{ name }}",
        "body_en": "Dear {{ name }}, the spring tea is in.\n",
    }
    values.update(changes)
    return template_save(actor=users["admin"], fields=TemplateFields(**values))


def _people(make_customer: Any) -> dict[str, Any]:
    return {
        "zh": make_customer(name="王芳", email="zh@example.com", language="zh-hans"),
        "en": make_customer(name="Anna", email="en@example.com", language="en"),
        "default": make_customer(name="张伟", email="default@example.com"),
    }


def _received(smtp: SmtpRecorder) -> dict[str, str]:
    return {str(m["To"]): str(m["Subject"]) for m in smtp.received}


def _languages() -> dict[str, str]:
    return {
        str(m.customer.email): m.language
        for m in Message.objects.select_related("customer")
    }


def test_a_chinese_and_an_english_customer_each_get_their_own_language(
    smtp: SmtpRecorder, users: dict[str, Any], make_customer: Any
) -> None:
    _people(make_customer)
    template = _template(users)
    preview = broadcast_preview(template=template, audience="all")
    assert preview.languages == {"zh-hans": 2, "en": 1}
    broadcast_send_stored(template=template, audience="all")
    broadcast = Broadcast.objects.get()
    assert (broadcast.language, broadcast.subject, broadcast.subject_other) == (
        "zh-hans",
        template.subject_zh,
        template.subject_en,
    )
    assert set(_languages().values()) == {""}  # chosen when sent
    assert messages_dispatch() == {"sent": 3}
    assert _received(smtp) == {
        "zh@example.com": "王芳，新茶到了",
        "en@example.com": "New tea, Anna",
        "default@example.com": "张伟，新茶到了",  # the business's: Chinese
    }
    assert _languages() == {
        "zh@example.com": "zh-hans",
        "en@example.com": "en",
        "default@example.com": "zh-hans",
    }


def test_the_business_language_decides_for_customers_without_one(
    smtp: SmtpRecorder, users: dict[str, Any], make_customer: Any, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "en"
    _people(make_customer)
    template = _template(users)
    assert broadcast_preview(template=template, audience="all").languages == {
        "en": 2,
        "zh-hans": 1,
    }
    broadcast_send_stored(template=template, audience="all")
    assert Broadcast.objects.get().language == "en"
    messages_dispatch()
    assert _received(smtp)["default@example.com"] == "New tea, 张伟"
    assert _received(smtp)["zh@example.com"] == "王芳，新茶到了"


@pytest.mark.parametrize(
    ("only", "changes", "subjects"),
    [
        (
            "en",
            {"subject_zh": "", "body_zh": ""},
            {"New tea, 王芳", "New tea, Anna", "New tea, 张伟"},
        ),
        (
            "zh-hans",
            {"subject_en": "", "body_en": ""},
            {"王芳，新茶到了", "Anna，新茶到了", "张伟，新茶到了"},
        ),
    ],
)
def test_a_template_with_one_language_goes_to_everyone_in_it(
    smtp: SmtpRecorder,
    users: dict[str, Any],
    make_customer: Any,
    only: str,
    changes: dict[str, str],
    subjects: set[str],
) -> None:
    people = _people(make_customer)
    template = _template(users, **changes)
    assert {template_language(template, c) for c in people.values()} == {only}
    assert broadcast_preview(template=template, audience="all").languages == {only: 3}
    broadcast_send_stored(template=template, audience="all")
    assert Broadcast.objects.get().body_other == ""
    assert messages_dispatch() == {"sent": 3}
    assert set(_received(smtp).values()) == subjects
    assert set(_languages().values()) == {only}


def test_a_template_file_has_no_known_language(
    smtp: SmtpRecorder, make_customer: Any
) -> None:
    _people(make_customer)
    broadcast_send(
        channel="email",
        purpose="service",
        template_text="Subject: 你好 {{ name }}\n\n新茶到了。\n",
        audience="all",
    )
    assert messages_dispatch() == {"sent": 3}
    assert set(_received(smtp).values()) == {"你好 王芳", "你好 Anna", "你好 张伟"}
    assert set(_languages().values()) == {""}


def test_the_editor_preview_shows_the_customer_s_version_first(
    users: dict[str, Any], make_customer: Any
) -> None:
    from guanxi.messaging.stored import template_preview

    people = _people(make_customer)
    template = _template(users)
    for who, first in (("en", "en"), ("zh", "zh-hans"), ("default", "zh-hans")):
        versions = template_preview(template, values={}, customer=people[who])
        assert [(v.language, v.chosen) for v in versions] == [
            (first, True),
            ("zh-hans" if first == "en" else "en", False),
        ]


# --- quiet hours in the customer's time zone ------------------------------------


def test_quiet_hours_are_kept_in_each_customer_s_time_zone(
    smtp: SmtpRecorder, subscribed_customer: Any, settings: Any
) -> None:
    settings.GUANXI_QUIET_HOURS = "21:00-09:00"
    settings.TIME_ZONE = "Asia/Shanghai"
    subscribed_customer(name="王芳", email="sh@example.com")  # business zone
    subscribed_customer(name="Anna", email="be@example.com", time_zone="Europe/Berlin")
    broadcast_send(
        channel="email",
        purpose="marketing",
        template_text="Subject: 新茶 {{ name }}\n\n新茶到了。\n",
        audience="all",
    )
    # Tomorrow (from the real clock) at 22:30 in Shanghai is 15:30 (winter)
    # or 16:30 (summer) in Berlin: quiet in Shanghai, not in Berlin.
    tomorrow = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1)
    night = dt.datetime.combine(tomorrow, dt.time(22, 30), tzinfo=SHANGHAI)
    assert 9 <= night.astimezone(BERLIN).hour < 21
    assert messages_dispatch(clock=lambda: night) == {"deferred": 1, "sent": 1}
    assert list(_received(smtp)) == ["be@example.com"]
    waiting = Message.objects.get(status="queued")
    assert waiting.customer.time_zone == ""
    morning = dt.datetime.combine(
        tomorrow + dt.timedelta(days=1), dt.time(9, 0), tzinfo=SHANGHAI
    )
    assert waiting.next_attempt_at == morning
    # The day after at 08:00 in Berlin (15:00 in Shanghai, 16:00 in winter):
    # quiet in Berlin only. A second marketing mail to both.
    broadcast_send(
        channel="email",
        purpose="marketing",
        template_text="Subject: 又一封 {{ name }}\n\nx\n",
        audience="all",
    )
    berlin_early = dt.datetime.combine(
        tomorrow + dt.timedelta(days=1), dt.time(8, 0), tzinfo=BERLIN
    )
    assert 9 <= berlin_early.astimezone(SHANGHAI).hour < 21
    assert messages_dispatch(clock=lambda: berlin_early) == {
        "deferred": 1,
        "sent": 2,
    }
    deferred = Message.objects.get(status="queued")
    assert deferred.customer.time_zone == "Europe/Berlin"
    assert deferred.next_attempt_at == berlin_early.replace(hour=9)
    assert len(smtp.received) == 3


def test_service_messages_ignore_the_customer_s_quiet_hours(
    smtp: SmtpRecorder, subscribed_customer: Any, settings: Any
) -> None:
    settings.GUANXI_QUIET_HOURS = "21:00-09:00"
    subscribed_customer(name="Anna", email="be@example.com", time_zone="Europe/Berlin")
    broadcast_send(
        channel="email",
        purpose="service",
        template_text="Subject: 订单 {{ name }}\n\n已发货。\n",
        audience="all",
    )
    tomorrow = dt.datetime.now(BERLIN).date() + dt.timedelta(days=1)
    midnight = dt.datetime.combine(tomorrow, dt.time(0, 30), tzinfo=BERLIN)
    assert messages_dispatch(clock=lambda: midnight) == {"sent": 1}
