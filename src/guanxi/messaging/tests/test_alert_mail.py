"""An alert of the audit log (unusual searches by phone or e-mail) is
e-mailed to the administrators, each in their language, through a real SMTP
server (aiosmtpd on 127.0.0.1): who searched and how often, a link to the
audit log, never a customer's value; nobody else gets it, and without e-mail
set up the search still works and nothing is sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.outbox import smtp_set_up

from guanxi.access.choices import Role
from guanxi.access.models import StaffProfile
from guanxi.audit.models import AuditEvent
from guanxi.messaging.tests.servers import SmtpRecorder, smtp_server

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1/customers/"


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpRecorder]:
    with smtp_set_up(settings) as recorder:
        settings.GUANXI_EMAIL_FROM = "crm@example.com"
        settings.GUANXI_PUBLIC_URL = "https://crm.example.com"
        yield recorder


def _email(user: Any, address: str, language: str) -> None:
    user.email = address
    user.save()
    StaffProfile.objects.filter(user=user).update(language=language)


def _search(api: Any, role: str, times: int) -> None:
    client = api(role)
    for n in range(times):
        assert client.get(API, {"phone": f"1390013900{n}"}).status_code == 200


def _body(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content())


def test_the_alert_is_mailed_to_each_administrator_in_their_language(
    api: Any,
    users: dict[str, Any],
    make_user: Any,
    make_customer: Any,
    settings: Any,
    smtp: SmtpRecorder,
    huey_immediate: Any,
) -> None:
    settings.GUANXI_CONTACT_SEARCH_ALERT_PER_HOUR = 3
    make_customer(name="王芳", phone="+8613900139001", email="wang.fang@example.com")
    second_admin = make_user(Role.ADMIN, username="second-admin")
    _email(users["admin"], "boss@example.com", "en")
    _email(second_admin, "ops-lead@example.com", "zh-hans")
    for role in ("operations", "service", "account_manager", "analyst"):
        _email(users[role], f"{role}@example.com", "en")

    _search(api, "operations", 6)

    assert AuditEvent.objects.filter(action="alert.searches").count() == 1
    by_to = {str(m["To"]): m for m in smtp.received}
    assert sorted(by_to) == ["boss@example.com", "ops-lead@example.com"]
    english = by_to["boss@example.com"]
    assert english["Subject"] == "Guanxi: unusual searches by phone or e-mail"
    assert _body(english).startswith(
        "operations searched customers by phone number or e-mail address 4 "
        "times within 60 minutes."
    )
    assert "https://crm.example.com/audit/?action=alert.searches" in _body(english)
    chinese = by_to["ops-lead@example.com"]
    assert str(chinese["Subject"]).strip() == "关系：按手机号或邮箱搜索次数异常"
    assert "operations 在 60 分钟内按手机号或邮箱搜索客户 4 次" in _body(chinese)
    for message in smtp.received:
        text = message.as_string()
        assert "13900139" not in text and "wang.fang" not in text and "王芳" not in text


def test_without_email_nothing_is_sent_and_the_search_still_works(
    api: Any, users: dict[str, Any], settings: Any, huey_immediate: Any
) -> None:
    settings.GUANXI_CONTACT_SEARCH_ALERT_PER_HOUR = 3
    settings.GUANXI_EMAIL_URL = ""
    _email(users["admin"], "boss@example.com", "en")
    with smtp_server() as (recorder, _port):
        _search(api, "operations", 5)
    assert AuditEvent.objects.filter(action="alert.searches").count() == 1
    assert recorder.received == []
