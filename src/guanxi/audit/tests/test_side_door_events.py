"""The audit events of issue 13's side doors: searches by contact value (the
kind, never the value) and the alert on unusual volume, bulk API reads, an
administrator's unlock of a login; the audit page finds each by its action,
labelled in both languages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from guanxi.access.choices import Role
from guanxi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

API = "/api/v1/customers/"


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_each_search_by_contact_value_is_an_event_without_the_value(
    api: Any, users: Any, make_customer: Any
) -> None:
    make_customer(name="王芳", phone="+8613800138000", email="wang.fang@example.com")
    client = api("service")
    assert client.get(API, {"phone": "13800138000"}).status_code == 200
    assert client.get(API, {"email": "wang.fang@example.com"}).status_code == 200
    assert client.get(API, {"city": "杭州"}).status_code == 200  # not one
    _client(users["service"]).get("/customers/", {"q": "13800138000"})
    events = _events("search.contact")
    assert [e.details for e in events] == [
        {"kind": "phone"},
        {"kind": "email"},
        {"kind": "phone"},
    ]
    assert {e.actor_id for e in events} == {users["service"].pk}
    text = str(list(AuditEvent.objects.values()))
    assert "13800138000" not in text and "wang.fang" not in text


def test_unusual_search_volume_raises_one_alert_an_hour(
    api: Any, users: Any, settings: Any, caplog: Any
) -> None:
    settings.GUANXI_CONTACT_SEARCH_ALERT_PER_HOUR = 3
    client = api("operations")
    for n in range(6):
        client.get(API, {"phone": f"1380013800{n}"})
    (alert,) = _events("alert.searches")
    assert alert.actor_id == users["operations"].pk
    assert alert.details == {"times": 4, "window_minutes": 60}
    assert len(_events("search.contact")) == 6
    lines = [r.getMessage() for r in caplog.records if r.name == "guanxi.audit"]
    assert lines == [
        f"unusual contact searches: user #{users['operations'].pk} searched 4 "
        "times in 60 minutes"
    ]


def test_bulk_api_reads_are_one_event_an_hour(
    api: Any, users: Any, settings: Any
) -> None:
    settings.GUANXI_API_BULK_READS_PER_HOUR = 2
    client = api("service")
    for _n in range(2):
        client.get(API)
    assert _events("api.bulk_read") == []
    for _n in range(3):
        assert client.get(API).status_code == 200
    (event,) = _events("api.bulk_read")
    assert event.actor_id == users["service"].pk
    assert event.details == {
        "times": 3,
        "window_minutes": 60,
        "kind": "CustomerViewSet",
        "role_applied": "service",
        "via": "api",
    }
    # Writes are not reads; another person has a count of their own.
    api("admin").get(API)
    assert len(_events("api.bulk_read")) == 1


def test_an_administrators_unlock_is_an_event(make_user: Any, users: Any) -> None:
    li = make_user(Role.SERVICE, username="li")
    locked = Client(REMOTE_ADDR="10.0.0.9")
    for _n in range(10):
        locked.post("/login/", {"username": "li", "password": "wrong"})
    admin = _client(users["admin"])
    response = admin.post(f"/settings/team/{li.pk}/unlock/")
    assert response.status_code == 302
    (event,) = _events("login.unlocked")
    assert (event.object_type, event.object_id) == ("user", str(li.pk))
    assert event.actor_label == "admin"


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "Searched by phone or e-mail"), ("zh-hans", "按手机号或邮箱搜索")],
)
def test_the_audit_page_filters_by_the_new_actions(
    api: Any, users: Any, language: str, label: str
) -> None:
    api("service").get(API, {"phone": "13800138000"})
    api("service").get(API)
    admin = _client(users["admin"], language)
    page = admin.get("/audit/", {"action": "search.contact"})
    html = page.content.decode()
    assert page.status_code == 200
    (event,) = _events("search.contact")
    # One row: the search, not the plain read beside it (no event at all).
    assert html.count("<tr data-event=") == 1
    assert f'<tr data-event="{event.pk}">' in html
    row = html[html.index(f'<tr data-event="{event.pk}">') :]
    assert f"<td>{label}</td>" in row[: row.index("</tr>")]
    for action in (
        "scope.conflict",
        "search.contact",
        "api.bulk_read",
        "login.unlocked",
        "alert.searches",
    ):
        assert f'value="{action}"' in html
