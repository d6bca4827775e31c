"""The daily digest e-mail, sent to a real SMTP server (aiosmtpd on
127.0.0.1): each person's own due tasks in their language, once a day,
scoped, with no more personal data than the inbox shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone, translation
from tests.outbox import smtp_set_up

from guanxi.access.models import StaffProfile
from guanxi.care.digest import digest_choose, digest_wanted, digests_due, digests_send
from guanxi.care.models import (
    CareDigest,
    CareTask,
    ChecklistTask,
    ChurnWarning,
    DigestOptOut,
)
from guanxi.core.errors import ValidationFailed
from guanxi.messaging.tests.servers import SmtpRecorder

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpRecorder]:
    with smtp_set_up(settings) as recorder:
        settings.GUANXI_EMAIL_FROM = "crm@example.com"
        settings.GUANXI_PUBLIC_URL = "https://crm.example.com"
        yield recorder


def _task(customer: Any, owner: Any, *, due: dt.date, priority: int = 3) -> CareTask:
    warning = ChurnWarning.objects.create(
        customer=customer,
        signals={"no_purchase": {"as_of": "2026-11-19", "days": 31}},
        opened_as_of=due,
        as_of=due,
    )
    return CareTask.objects.create(
        warning=warning,
        customer=customer,
        owner=owner,
        due_on=due,
        priority=priority,
        remedy="coupon",
    )


def _email(user: Any, address: str, language: str = "") -> None:
    user.email = address
    user.save()
    if language:
        StaffProfile.objects.filter(user=user).update(language=language)


def _by_recipient(smtp: SmtpRecorder) -> dict[str, Any]:
    return {str(m["To"]): m for m in smtp.received}


def _body(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content())


@pytest.fixture
def world(make_customer: Any, users: dict[str, Any]) -> dict[str, Any]:
    mine = make_customer(
        name="王芳", phone="+8613912345678", assigned_manager=users["account_manager"]
    )
    theirs = make_customer(name="赵磊", assigned_manager=users["other_manager"])
    _task(mine, users["account_manager"], due=TODAY - dt.timedelta(days=2), priority=2)
    _task(theirs, users["other_manager"], due=TODAY)
    # Not due yet: not in the digest.
    _task(make_customer(name="孙丽"), users["service"], due=TODAY + dt.timedelta(3))
    _email(users["account_manager"], "am@example.com", "en")
    _email(users["other_manager"], "om@example.com", "zh-hans")
    _email(users["service"], "svc@example.com")
    return {"mine": mine, "theirs": theirs}


def test_each_person_gets_their_own_tasks_in_their_language(
    smtp: SmtpRecorder, world: dict[str, Any], users: dict[str, Any]
) -> None:
    result = digests_send(today=TODAY)
    assert (result.sent, result.failed) == (2, 0)
    mail = _by_recipient(smtp)
    # Service has nothing due today: no e-mail.
    assert set(mail) == {"am@example.com", "om@example.com"}
    english = mail["am@example.com"]
    assert english["Subject"] == "Guanxi: 1 care task due today"
    assert english["From"] == "crm@example.com"
    text = _body(english)
    assert "1 care task is due today or overdue (2026-11-20)." in text
    assert "[High] 王芳: No purchase for 31 days" in text
    assert "Overdue since 2026-11-18" in text
    assert "https://crm.example.com/care/today/" in text
    # Scoped: never the other manager's customer; no phone number.
    assert "赵磊" not in text and "13912345678" not in text
    assert "5678" not in english.get_body(("html",)).get_content()
    chinese = _body(mail["om@example.com"])
    assert "赵磊" in chinese and "王芳" not in chinese
    assert "今天有 1 个关怀任务到期或已逾期" in chinese
    assert str(mail["om@example.com"]["Subject"]) == "关系：今天有 1 个关怀任务到期"


def test_once_a_day(smtp: SmtpRecorder, world: dict[str, Any]) -> None:
    digests_send(today=TODAY)
    again = digests_send(today=TODAY)
    assert (again.sent, again.failed) == (0, 0)
    assert len(smtp.received) == 2
    assert CareDigest.objects.filter(day=TODAY).count() == 2
    # The next day is a new digest.
    assert digests_send(today=TODAY + dt.timedelta(days=1)).sent == 2


def test_a_refused_send_is_tried_again_later(
    smtp: SmtpRecorder, world: dict[str, Any]
) -> None:
    smtp.data_answers = ["451 try later", "451 try later"]
    first = digests_send(today=TODAY)
    assert (first.sent, first.failed) == (0, 2)
    assert not CareDigest.objects.exists()
    assert digests_send(today=TODAY).sent == 2
    assert len(smtp.received) == 2


def test_the_hour_and_the_checklist(
    smtp: SmtpRecorder, users: dict[str, Any], settings: Any
) -> None:
    settings.GUANXI_CARE_DIGEST_HOUR = 8
    _email(users["analyst"], "an@example.com", "en")
    ChecklistTask.objects.create(
        owner=users["analyst"], item="review_metrics", period_start=TODAY
    )
    tz = timezone.get_current_timezone()
    early = dt.datetime.combine(TODAY, dt.time(7, 59), tzinfo=tz)
    assert digests_due(now=early) is None
    assert smtp.received == []
    result = digests_due(now=dt.datetime.combine(TODAY, dt.time(8, 0), tzinfo=tz))
    assert result is not None and result.sent == 1
    text = _body(smtp.received[0])
    assert "0 care tasks are due today or overdue" in text
    assert "[Monthly] Analyse repurchase, churn and LTV" in text


def test_nothing_without_email_set_up(world: dict[str, Any], settings: Any) -> None:
    settings.GUANXI_EMAIL_URL = ""
    noon = dt.datetime.combine(
        TODAY, dt.time(12), tzinfo=timezone.get_current_timezone()
    )
    assert digests_due(now=noon) is None
    assert not CareDigest.objects.exists()


def test_a_person_who_turned_the_digest_off_gets_none(
    smtp: SmtpRecorder, world: dict[str, Any], users: dict[str, Any]
) -> None:
    assert digest_choose(actor=users["account_manager"], choice="off") is False
    assert digest_wanted(user=users["account_manager"]) is False
    result = digests_send(today=TODAY)
    assert result.sent == 1
    assert set(_by_recipient(smtp)) == {"om@example.com"}
    # Every digest says how to turn it off.
    assert "Turn this e-mail off" not in _body(smtp.received[0])  # Chinese
    assert "不再接收此邮件: https://crm.example.com/care/today/#digest" in _body(
        smtp.received[0]
    )
    # On again: the next day's digest comes.
    assert digest_choose(actor=users["account_manager"], choice="on") is True
    assert digests_send(today=TODAY + dt.timedelta(days=1)).sent == 2


@pytest.mark.parametrize("choice", ["", "OFF", "no", "on\x00", "off " * 1000])
def test_a_bad_choice_changes_nothing(users: dict[str, Any], choice: str) -> None:
    digest_choose(actor=users["service"], choice="off")
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        digest_choose(actor=users["service"], choice=choice)
    assert caught.value.message == "Choose whether the daily e-mail is on or off."
    assert list(DigestOptOut.objects.values_list("owner_id", flat=True)) == [
        users["service"].pk
    ]


def test_the_inbox_turns_it_off_and_on(
    client: Any, users: dict[str, Any], world: dict[str, Any]
) -> None:
    manager = users["account_manager"]
    client.force_login(manager)
    page = client.get("/care/today/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Turn the daily e-mail off" in page.content.decode()
    answer = client.post("/care/digest/", {"choice": "off"}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 302 and answer["Location"] == "/care/today/#digest"
    assert not digest_wanted(user=manager)
    page = client.get("/care/today/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The daily e-mail is off." in page and "Turn it on" in page
    bad = client.post("/care/digest/", {"choice": "maybe"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert "Choose whether the daily e-mail is on or off." in bad.content.decode()
    assert not digest_wanted(user=manager)
    client.post("/care/digest/", {"choice": "on"})
    assert digest_wanted(user=manager)
    # Someone without an e-mail address is offered nothing to turn off.
    client.force_login(users["admin"])
    assert 'id="digest"' not in client.get("/care/today/").content.decode()
