"""Login lockout on the (user, address) pair with a ceiling per address, the
real address behind trusted proxies only, and an administrator's unlock."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from guanxi.access.choices import Role
from guanxi.access.logins import client_address

pytestmark = pytest.mark.django_db

LOCKED = (
    "Too many failed logins from this address: logging in from here is locked "
    "for one hour. Try again later, or ask an administrator to unlock your account."
)
LOCKED_ZH = "此地址登录失败次数过多：从这里登录已锁定一小时。请稍后再试，或联系管理员为你的账号解锁。"
PASSWORD = "guanxi-test-pass"


def _client(address: str, language: str = "en", **meta: Any) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR=address, **meta)


def _login(client: Client, username: str, password: str = "wrong") -> int:
    return client.post(
        "/login/", {"username": username, "password": password}
    ).status_code


@pytest.fixture
def people(make_user: Any) -> dict[str, Any]:
    return {
        "li": make_user(Role.SERVICE, username="li"),
        "wang": make_user(Role.SERVICE, username="wang"),
        "boss": make_user(Role.ADMIN, username="boss"),
    }


def test_twenty_bad_logins_lock_the_user_at_that_address_only(
    people: dict[str, Any],
) -> None:
    office = _client("10.0.0.1")
    codes = [_login(office, "li") for _ in range(20)]
    assert codes[:9] == [200] * 9 and set(codes[10:]) == {429}
    refused = office.post("/login/", {"username": "li", "password": PASSWORD})
    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()
    chinese = _client("10.0.0.1", "zh-hans").post(
        "/login/", {"username": "li", "password": PASSWORD}
    )
    assert LOCKED_ZH in chinese.content.decode()
    # A forged X-Forwarded-For changes nothing: the address is the connection's.
    forged = _client("10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert _login(forged, "li", PASSWORD) == 429
    # The same user elsewhere, and a colleague at the same address, log in.
    assert _login(_client("10.0.0.2"), "li", PASSWORD) == 302
    assert _login(_client("10.0.0.1"), "wang", PASSWORD) == 302


def test_an_address_has_a_ceiling_of_its_own(
    people: dict[str, Any], settings: Any
) -> None:
    settings.GUANXI_LOGIN_ADDRESS_LIMIT = 5
    spray = _client("10.0.0.3")
    codes = [_login(spray, f"guess{n}") for n in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    # Every user at that address is locked now, nobody elsewhere.
    response = _client("10.0.0.3").post(
        "/login/", {"username": "wang", "password": PASSWORD}
    )
    assert (response.status_code, LOCKED in response.content.decode()) == (429, True)
    assert _login(_client("10.0.0.4"), "wang", PASSWORD) == 302


def test_an_administrator_unlocks_a_user(people: dict[str, Any], settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    office = _client("10.0.0.5")
    for _ in range(3):
        _login(office, "li")
    assert _login(office, "li", PASSWORD) == 429
    admin = _client("10.0.0.9")
    admin.force_login(people["boss"])
    url = reverse("access:member-unlock", args=[people["li"].pk])
    response = admin.post(url)
    assert response.status_code == 302
    page = admin.get(response["Location"]).content.decode()
    assert "li may log in again: their failed logins were forgotten." in page
    assert _login(_client("10.0.0.5"), "li", PASSWORD) == 302


def test_others_may_not_unlock(people: dict[str, Any]) -> None:
    service = _client("10.0.0.9")
    service.force_login(people["wang"])
    url = reverse("access:member-unlock", args=[people["li"].pk])
    assert service.post(url).status_code == 403


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("10.0.0.1", "", "10.0.0.1"),
        ("10.0.0.1", "198.51.100.7", "10.0.0.1"),  # not from a proxy: ignored
        ("192.168.1.10", "203.0.113.5", "203.0.113.5"),
        # The client wrote the first entry, the proxy appended the real one.
        ("192.168.1.10", "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        # Two trusted proxies: the right-most untrusted entry.
        ("192.168.1.10", "203.0.113.5, 192.168.1.11", "203.0.113.5"),
        ("192.168.1.10", "not-an-address", "192.168.1.10"),
    ],
)
def test_the_address_behind_trusted_proxies(
    settings: Any, remote: str, forwarded: str, expected: str
) -> None:
    settings.GUANXI_TRUSTED_PROXIES = ["192.168.1.0/24"]
    request = RequestFactory().get(
        "/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
    )
    assert client_address(request) == expected
