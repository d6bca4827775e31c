"""Two-step login with real codes computed from the stored secret (RFC 6238)
on a frozen clock: enrolment, the code after the password, recovery codes,
the lockout, the admins' rule and an admin's reset."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from guanxi.access.choices import Role
from guanxi.access.models import RecoveryCode, TotpDevice
from guanxi.access.twofactor import PENDING_SECONDS, totp_code
from guanxi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "guanxi-test-pass"
START = dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC)
WRONG_EN = (
    "That code is not right: type the 6 digits your app shows now, or one of "
    "your recovery codes."
)
WRONG_ZH = "验证码不正确：请输入验证器应用当前显示的 6 位数字，或一个恢复码。"
CONFIRM_WRONG_EN = "That code is not right: type the 6 digits your app shows now."
CONFIRM_WRONG_ZH = "验证码不正确：请输入验证器应用当前显示的 6 位数字。"


def _client(language: str = "en") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language)


def _password(client: Client, username: str) -> Any:
    return client.post("/login/", {"username": username, "password": PASSWORD})


def _logged_in(username: str, language: str = "en") -> Client:
    client = _client(language)
    assert _password(client, username).status_code == 302
    return client


def _now() -> float:
    return dt.datetime.now(dt.UTC).timestamp()


def _enrol(client: Client, user: Any) -> list[str]:
    """Set up and confirm an app; the recovery codes shown."""
    assert client.post(reverse("access:two-factor-start")).status_code == 302
    secret = TotpDevice.objects.get(user=user).secret
    response = client.post(
        reverse("access:two-factor-confirm"), {"code": totp_code(secret, _now())}
    )
    assert response.status_code == 302
    html = client.get(reverse("access:two-factor")).content.decode()
    start = html.index('<ul class="recovery-codes mono">')
    block = html[start : html.index("</ul>", start)]
    return [part.split("</li>")[0] for part in block.split("<li>")[1:]]


@pytest.fixture(autouse=True)
def clock() -> Any:
    """Every test on a frozen clock (codes are of a time step)."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def li(make_user: Any) -> Any:
    return make_user(Role.SERVICE, username="li")


def test_enrolment_shows_a_local_qr_code_and_needs_a_right_code(li: Any) -> None:
    client = _logged_in("li")
    client.post(reverse("access:two-factor-start"))
    html = client.get(reverse("access:two-factor")).content.decode()
    device = TotpDevice.objects.get(user=li)
    assert "<svg" in html and 'class="segno"' in html
    assert "otpauth" not in html  # the address is in the picture only
    grouped = " ".join(device.secret[i : i + 4] for i in range(0, 32, 4))
    assert grouped in html
    wrong = f"{(int(totp_code(device.secret, _now())) + 1) % 10**6:06d}"
    response = client.post(reverse("access:two-factor-confirm"), {"code": wrong})
    assert response.status_code == 400
    assert CONFIRM_WRONG_EN in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed_at is None and not RecoveryCode.objects.exists()
    codes = client.post(
        reverse("access:two-factor-confirm"),
        {"code": totp_code(device.secret, _now())},
    )
    assert codes.status_code == 302
    device.refresh_from_db()
    assert device.confirmed_at is not None
    page = client.get(reverse("access:two-factor")).content.decode()
    shown = page.count("<li>")
    assert shown == 10 and "10 recovery codes left." in page
    # Shown once; stored as digests only.
    again = client.get(reverse("access:two-factor")).content.decode()
    assert "recovery-codes" not in again
    digests = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(digests) == 10
    assert AuditEvent.objects.filter(action="twofactor.enabled").count() == 1


def test_the_secret_is_encrypted_at_rest(li: Any) -> None:
    from django.db import connection

    client = _logged_in("li")
    client.post(reverse("access:two-factor-start"))
    secret = TotpDevice.objects.get(user=li).secret
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM access_totpdevice")
        stored = cursor.fetchone()[0]
    assert secret not in stored and len(secret) == 32


def test_recovery_codes_are_kept_as_digests(li: Any) -> None:
    codes = _enrol(_logged_in("li"), li)
    assert len(codes) == 10 and all(len(c) == 19 for c in codes)
    stored = set(RecoveryCode.objects.values_list("digest", flat=True))
    expected = {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    assert stored == expected


@pytest.mark.parametrize(
    ("language", "message"), [("en", WRONG_EN), ("zh-hans", WRONG_ZH)]
)
def test_login_asks_for_the_code_after_the_password(
    li: Any, clock: Any, language: str, message: str
) -> None:
    _enrol(_logged_in("li"), li)
    secret = TotpDevice.objects.get(user=li).secret
    clock.shift(dt.timedelta(seconds=60))
    client = _client(language)
    response = _password(client, "li")
    assert response["Location"] == reverse("access:login-code")
    # Not logged in yet: every page sends to the login page.
    assert client.get("/account/")["Location"].startswith("/login/")
    wrong = client.post(reverse("access:login-code"), {"code": "000000"})
    assert wrong.status_code == 400 and message in wrong.content.decode()
    right = client.post(
        reverse("access:login-code"), {"code": totp_code(secret, _now())}
    )
    assert right.status_code == 302 and right["Location"] == "/"
    assert client.get("/account/").status_code == 200
    # The same code does not log in a second time (replay).
    other = _client(language)
    _password(other, "li")
    replay = other.post(
        reverse("access:login-code"), {"code": totp_code(secret, _now())}
    )
    assert replay.status_code == 400
    # The next time step's code does.
    clock.shift(dt.timedelta(seconds=30))
    later = other.post(
        reverse("access:login-code"), {"code": totp_code(secret, _now())}
    )
    assert later.status_code == 302


def test_a_recovery_code_works_once(li: Any) -> None:
    codes = _enrol(_logged_in("li"), li)
    first = _client()
    _password(first, "li")
    ok = first.post(reverse("access:login-code"), {"code": codes[0].lower()})
    assert ok.status_code == 302
    second = _client()
    _password(second, "li")
    again = second.post(reverse("access:login-code"), {"code": codes[0]})
    assert again.status_code == 400
    assert RecoveryCode.objects.filter(used_at__isnull=True).count() == 9


def test_the_code_page_waits_five_minutes(li: Any, clock: Any) -> None:
    _enrol(_logged_in("li"), li)
    secret = TotpDevice.objects.get(user=li).secret
    client = _client()
    _password(client, "li")
    clock.shift(dt.timedelta(seconds=PENDING_SECONDS + 1))
    late = client.post(
        reverse("access:login-code"), {"code": totp_code(secret, _now())}
    )
    assert late["Location"] == reverse("web:login")
    assert client.get("/account/")["Location"].startswith("/login/")


def test_wrong_codes_count_towards_the_lockout(
    li: Any, settings: Any, clock: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    _enrol(_logged_in("li"), li)
    secret = TotpDevice.objects.get(user=li).secret
    client = _client()
    _password(client, "li")
    codes = [
        client.post(reverse("access:login-code"), {"code": "12345x"}).status_code
        for _ in range(3)
    ]
    assert codes == [400, 400, 429]
    # Locked: the right password and the right code no longer log in here.
    assert _password(client, "li").status_code == 429
    clock.shift(dt.timedelta(minutes=5))
    response = client.post(
        reverse("access:login-code"), {"code": totp_code(secret, _now())}
    )
    assert response.status_code != 302


def test_turning_off_removes_the_app(li: Any) -> None:
    client = _logged_in("li")
    _enrol(client, li)
    assert client.post(reverse("access:two-factor-off")).status_code == 302
    assert not TotpDevice.objects.exists() and not RecoveryCode.objects.exists()
    assert _password(_client(), "li")["Location"] == "/"
    assert AuditEvent.objects.filter(action="twofactor.disabled").count() == 1


# --- admins -------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_admins_must_use_it_when_the_rule_says_so(
    make_user: Any, language: str
) -> None:
    boss = make_user(Role.ADMIN, username="boss")
    client = _logged_in("boss", language)
    saved = client.post(
        reverse("access:login-rule"), {"admins_require_totp": "on"}, follow=True
    )
    assert saved.redirect_chain[-1][0] == reverse("access:two-factor")
    event = AuditEvent.objects.get(action="settings.changed")
    assert event.details["fields"] == ["admins_require_totp"]
    response = client.get("/customers/")
    assert response["Location"] == reverse("access:two-factor")
    notice = {
        "en": "Admins must use two-step login: set it up before anything else.",
        "zh-hans": "管理员必须使用两步登录：请先完成设置，再做其他操作。",
    }[language]
    assert notice in client.get(reverse("access:two-factor")).content.decode()
    # Others are not held back.
    make_user(Role.SERVICE, username="li")
    assert _logged_in("li").get("/customers/").status_code == 200
    _enrol(client, boss)
    assert client.get("/customers/").status_code == 200
    # And an admin cannot turn it off while the rule holds.
    off = client.post(reverse("access:two-factor-off"))
    assert off.status_code == 400
    assert TotpDevice.objects.filter(user=boss).exists()


def test_an_admin_resets_a_colleagues_app_after_giving_the_password(
    make_user: Any, li: Any, clock: Any
) -> None:
    make_user(Role.ADMIN, username="boss")
    _enrol(_logged_in("li"), li)
    clock.shift(dt.timedelta(minutes=1))
    admin = _logged_in("boss")
    url = reverse("access:member-two-factor-reset", args=[li.pk])
    clock.shift(dt.timedelta(minutes=11))
    asked = admin.post(url)
    assert asked["Location"].startswith(reverse("access:confirm-password"))
    assert TotpDevice.objects.filter(user=li).exists()
    admin.post(reverse("access:confirm-password"), {"password": PASSWORD})
    done = admin.post(url, follow=True)
    text = (
        "li's two-step login was reset: they log in with their password and set "
        "up their app again."
    )
    assert html.escape(text) in done.content.decode()
    assert not TotpDevice.objects.filter(user=li).exists()
    assert not RecoveryCode.objects.filter(user=li).exists()
    event = AuditEvent.objects.get(action="twofactor.reset")
    assert (event.actor_label, event.object_id) == ("boss", str(li.pk))
    assert _password(_client(), "li")["Location"] == "/"


def test_only_admins_reset_or_set_the_rule(make_user: Any, li: Any) -> None:
    make_user(Role.OPERATIONS, username="ops")
    client = _logged_in("ops")
    url = reverse("access:member-two-factor-reset", args=[li.pk])
    assert client.post(url).status_code == 403
    rule = client.post(reverse("access:login-rule"), {"admins_require_totp": "on"})
    assert rule.status_code == 403
    assert not AuditEvent.objects.filter(action="settings.changed").exists()
