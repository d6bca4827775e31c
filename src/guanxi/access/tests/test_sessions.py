"""How long a login lasts (idle and absolute limits, on a frozen clock), what
ends it early (deactivation, a role change), the password asked again before
sensitive changes, and the security headers on every page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from guanxi.access.choices import Role
from guanxi.access.models import StaffProfile

pytestmark = pytest.mark.django_db

PASSWORD = "guanxi-test-pass"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
IDLE_EN = "You were logged out after 30 minutes without activity. Log in again."
IDLE_ZH = "你已在 30 分钟无操作后被登出。请重新登录。"
MAX_EN = "You were logged out: a login lasts at most 12 hours. Log in again."
CHANGED_EN = "Your account was changed by an administrator. Log in again."
CHANGED_ZH = "你的账号已被管理员更改。请重新登录。"


def _logged_in(username: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _page(client: Client, url: str = "/account/") -> tuple[int, str]:
    """Status and final page of ``url``, redirects followed."""
    response = client.get(url, follow=True)
    return response.status_code, response.content.decode()


def _on_login_page(html: str) -> bool:
    return 'name="password" type="password" autocomplete="current-password"' in html


@pytest.mark.parametrize(
    ("language", "message"), [("en", IDLE_EN), ("zh-hans", IDLE_ZH)]
)
def test_a_session_ends_after_thirty_idle_minutes(
    make_user: Any, language: str, message: str
) -> None:
    make_user(Role.SERVICE, username="li")
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in("li", language)
        clock.shift(dt.timedelta(minutes=29))
        status, html = _page(client)
        assert status == 200 and not _on_login_page(html)
        clock.shift(dt.timedelta(minutes=29))  # 29 minutes after the last request
        assert not _on_login_page(_page(client)[1])
        clock.shift(dt.timedelta(minutes=31))
        status, html = _page(client)
    assert _on_login_page(html)
    assert message in html


def test_a_session_ends_twelve_hours_after_login_however_busy(make_user: Any) -> None:
    make_user(Role.SERVICE, username="li")
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in("li")
        for _ in range(47):  # a request every quarter of an hour: 11 h 45 min
            clock.shift(dt.timedelta(minutes=15))
            assert not _on_login_page(_page(client)[1])
        clock.shift(dt.timedelta(minutes=16))
        html = _page(client)[1]
    assert _on_login_page(html) and MAX_EN in html


def test_the_limits_are_settings(make_user: Any, settings: Any) -> None:
    settings.GUANXI_SESSION_IDLE_MINUTES = 5
    make_user(Role.SERVICE, username="li")
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in("li")
        clock.shift(dt.timedelta(minutes=6))
        html = _page(client)[1]
    assert "You were logged out after 5 minutes without activity." in html


def test_a_deactivated_users_session_gets_the_login_page(make_user: Any) -> None:
    make_user(Role.ADMIN, username="boss")
    li = make_user(Role.SERVICE, username="li")
    client = _logged_in("li")
    assert not _on_login_page(_page(client)[1])
    admin = _logged_in("boss")
    url = reverse("access:member-deactivate", args=[li.pk])
    assert admin.post(url).status_code == 302
    assert _on_login_page(_page(client)[1])
    # The old cookie does not come back to life when the user is reactivated.
    admin.post(reverse("access:member-reactivate", args=[li.pk]))
    assert _on_login_page(_page(client)[1])


@pytest.mark.parametrize(
    ("language", "message"), [("en", CHANGED_EN), ("zh-hans", CHANGED_ZH)]
)
def test_a_role_change_ends_the_users_sessions(
    make_user: Any, language: str, message: str
) -> None:
    make_user(Role.ADMIN, username="boss")
    li = make_user(Role.OPERATIONS, username="li")
    client = _logged_in("li", language)
    assert not _on_login_page(_page(client, "/customers/")[1])
    admin = _logged_in("boss")
    response = admin.post(
        reverse("access:member", args=[li.pk]),
        {"role": "analyst", "first_name": "", "email": ""},
    )
    assert response.status_code == 302
    html = _page(client, "/customers/")[1]
    assert _on_login_page(html) and message in html
    # Logging in again works, with the new role.
    assert not _on_login_page(_page(_logged_in("li"), "/customers/")[1])


def test_a_session_without_its_marks_ends(make_user: Any) -> None:
    """Sessions opened before the marks existed end at their next request."""
    make_user(Role.SERVICE, username="li")
    client = _logged_in("li")
    session = client.session
    for key in list(session.keys()):
        if key.startswith("guanxi.session."):
            del session[key]
    session.save()
    assert _on_login_page(_page(client)[1])


# --- the password again before a change of role, e-mail or password ---------


def test_changing_a_role_asks_for_the_password_after_ten_minutes(
    make_user: Any,
) -> None:
    make_user(Role.ADMIN, username="boss")
    li = make_user(Role.SERVICE, username="li")
    member_url = reverse("access:member", args=[li.pk])
    form = {"role": "operations", "first_name": "", "email": "li@example.com"}
    with time_machine.travel(START, tick=False) as clock:
        admin = _logged_in("boss")
        clock.shift(dt.timedelta(minutes=9))
        assert admin.get(member_url).status_code == 200
        clock.shift(dt.timedelta(minutes=2))
        response = admin.post(member_url, form)
        confirm = reverse("access:confirm-password")
        assert response.status_code == 302
        assert response["Location"] == f"{confirm}?next=%2Fsettings%2Fteam%2F{li.pk}%2F"
        profile = StaffProfile.objects.get(user=li)
        assert (profile.role, get_user_model().objects.get(pk=li.pk).email) == (
            "service",
            "",
        )
        page = admin.get(response["Location"]).content.decode()
        assert "Confirm your password, then make the change again." in page
        # The page itself asks too, before showing the form.
        assert admin.get(member_url)["Location"] == response["Location"]
        wrong = admin.post(confirm, {"password": "nope", "next": member_url})
        assert wrong.status_code == 400
        assert "your password is not correct" in wrong.content.decode()
        right = admin.post(confirm, {"password": PASSWORD, "next": member_url})
        assert (right.status_code, right["Location"]) == (302, member_url)
        assert admin.post(member_url, form).status_code == 302
    assert StaffProfile.objects.get(user=li).role == "operations"


def test_the_confirmation_goes_back_to_this_site_only(make_user: Any) -> None:
    make_user(Role.SERVICE, username="li")
    client = _logged_in("li")
    response = client.post(
        reverse("access:confirm-password"),
        {"password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/account/"


def test_wrong_confirmations_count_towards_the_lockout(
    make_user: Any, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    make_user(Role.SERVICE, username="li")
    client = _logged_in("li")
    confirm = reverse("access:confirm-password")
    codes = [client.post(confirm, {"password": "x"}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]


# --- headers ---------------------------------------------------------------


def test_every_page_carries_a_content_security_policy(make_user: Any) -> None:
    make_user(Role.SERVICE, username="li")
    client = _logged_in("li")
    first, second = client.get("/account/"), client.get("/login/")
    policy = first["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert policy != second["Content-Security-Policy"]  # a nonce per response
    assert first["X-Content-Type-Options"] == "nosniff"
    assert first["Referrer-Policy"] == "same-origin"
    assert first["X-Frame-Options"] == "DENY"
    assert "camera=()" in first["Permissions-Policy"]
    # No inline event handler or script without the nonce on the pages.
    html = first.content.decode()
    assert "onclick=" not in html and "<script>" not in html


def test_requests_do_not_write_the_session(make_user: Any) -> None:
    """The last request's time goes to a signed cookie: a page that waits on
    a long write elsewhere (SQLite) cannot fail on a session write."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_user(Role.SERVICE, username="li")
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in("li")
        clock.shift(dt.timedelta(minutes=20))
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/account/")
        assert response.status_code == 200
        assert "guanxi_seen" in response.cookies
        writes = [q["sql"] for q in queries if "UPDATE" in q["sql"].upper()]
        assert not [sql for sql in writes if "django_session" in sql]
        # The cookie counts: twenty more minutes are not thirty idle ones.
        clock.shift(dt.timedelta(minutes=20))
        assert not _on_login_page(_page(client)[1])
        # A fresh cookie of another session does not count for this one: its
        # last request is then its login, 42 minutes ago.
        stranger = _logged_in("li")
        clock.shift(dt.timedelta(minutes=2))
        stranger.get("/account/")
        client.cookies["guanxi_seen"] = stranger.cookies["guanxi_seen"].value
        assert _on_login_page(_page(client)[1])
