"""The team settings and one's own account through the web edge: what works,
and every rule a form can break — with the exact message and nothing changed."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from guanxi.access.choices import Role
from guanxi.access.links import link_parts
from guanxi.access.models import ApiToken as Token
from guanxi.access.models import StaffProfile
from guanxi.access.services import password_link_make
from guanxi.access.tests.factories import api_token_for
from guanxi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

User = get_user_model()


def _client(client: Any, user: Any) -> Any:
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _error(response: Any) -> str:
    match = re.search(r'id="form-error">([^<]*)<', response.content.decode())
    assert match, response.content.decode()[:2000]
    return match.group(1).replace("&#x27;", "'").replace("&quot;", '"')


def _snapshot() -> list[tuple[Any, ...]]:
    return list(
        User.objects.order_by("pk").values_list(
            "username", "password", "is_active", "is_staff", "is_superuser",
            "first_name", "email", "staff_profile__role", "staff_profile__language",
        )
    )  # fmt: skip


# --- add a colleague ------------------------------------------------------------


def test_an_admin_adds_a_colleague_with_a_link_who_sets_a_password(
    client: Any, users: Any
) -> None:
    c = _client(client, users["admin"])
    response = c.post(
        reverse("access:team-add"),
        {"username": "xiaoli", "role": "service", "first_name": "小李", "how": "link"},
    )
    assert response.status_code == 200
    link = re.search(r'id="link-value"[^>]*value="([^"]+)"', response.content.decode())
    assert link is not None
    new = User.objects.get(username="xiaoli")
    assert new.has_usable_password() is False
    assert StaffProfile.objects.get(user=new).role == Role.SERVICE
    path = link.group(1).removeprefix("http://testserver")

    c.logout()
    assert c.get(path).status_code == 200
    weak = c.post(path, {"password": "1234567", "password_again": "1234567"})
    assert weak.status_code == 400
    assert _error(weak) == (
        "This password is too short. It must contain at least 8 characters. "
        "This password is too common. This password is entirely numeric."
    )
    assert User.objects.get(pk=new.pk).has_usable_password() is False
    done = c.post(
        path, {"password": "Wulong-tea-2026", "password_again": "Wulong-tea-2026"}
    )
    assert done.status_code == 302
    assert User.objects.get(pk=new.pk).check_password("Wulong-tea-2026")

    # Single use: the same link again is refused and changes nothing.
    before = _snapshot()
    again = c.post(
        path, {"password": "Other-tea-2027", "password_again": "Other-tea-2027"}
    )
    assert again.status_code == 400
    assert _error(again) == (
        "this link has expired or has already been used: ask an admin for a new one"
    )
    assert c.get(path).status_code == 400
    assert _snapshot() == before


def test_an_expired_or_forged_link_is_refused(client: Any, users: Any) -> None:
    colleague = users["service"]
    old = timezone.now() - dt.timedelta(days=3, minutes=1)
    uid, token = link_parts(colleague, issued_at=old)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    before = _snapshot()
    for path in (
        reverse("access:password-link", args=[uid, token]),
        reverse("access:password-link", args=[uid, token[:-1] + "x"]),
        reverse("access:password-link", args=["bm9ib2R5", token]),
    ):
        response = client.post(
            path, {"password": "Wulong-tea-2026", "password_again": "Wulong-tea-2026"}
        )
        assert response.status_code == 400
        assert _error(response) == (
            "this link has expired or has already been used: ask an admin for a new one"
        )
    assert _snapshot() == before
    fresh = link_parts(colleague, issued_at=timezone.now() - dt.timedelta(days=2))
    assert client.get(reverse("access:password-link", args=fresh)).status_code == 200


def test_an_admin_adds_a_colleague_with_an_initial_password(
    client: Any, users: Any
) -> None:
    c = _client(client, users["admin"])
    response = c.post(
        reverse("access:team-add"),
        {
            "username": "laowang",
            "role": "account_manager",
            "email": "wang@example.com",
            "how": "password",
            "password": "Longjing-2026!",
            "password_again": "Longjing-2026!",
        },
    )
    assert response.status_code == 302
    new = User.objects.get(username="laowang")
    assert new.check_password("Longjing-2026!")
    assert (new.email, new.staff_profile.role) == (
        "wang@example.com",
        "account_manager",
    )


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"username": "Service", "role": "service"}, "this username is already taken"),
        ({"username": "   ", "role": "service"}, "enter a username"),
        (
            {"username": "li lei", "role": "service"},
            "a username may contain only letters, digits and @ . + - _",
        ),
        ({"username": "lilei", "role": "emperor"}, "choose a role"),
        (
            {"username": "lilei", "role": "service", "email": "not-an-address"},
            "enter a valid e-mail address",
        ),
        (
            {
                "username": "lilei",
                "role": "service",
                "how": "password",
                "password": "Longjing-2026!",
                "password_again": "Longjing-2027!",
            },
            "the two passwords do not match",
        ),
        (
            {
                "username": "lilei",
                "role": "service",
                "how": "password",
                "password": "lilei123",
                "password_again": "lilei123",
            },
            "The password is too similar to the username.",
        ),
        (
            {
                "username": "<script>x</script>",
                "role": "admin",
            },
            "a username may contain only letters, digits and @ . + - _",
        ),
    ],
)
def test_adding_a_colleague_with_bad_input_changes_nothing(
    client: Any, users: Any, form: dict[str, str], message: str
) -> None:
    c = _client(client, users["admin"])
    before = _snapshot()
    response = c.post(reverse("access:team-add"), form)
    assert response.status_code == 400
    assert _error(response) == message
    assert _snapshot() == before


def test_only_admins_reach_the_team(client: Any, users: Any) -> None:
    before = _snapshot()
    for role in ("operations", "service", "account_manager", "analyst"):
        c = _client(client, users[role])
        assert c.get(reverse("access:team")).status_code == 403
        response = c.post(
            reverse("access:team-add"), {"username": "sneaky", "role": "admin"}
        )
        assert response.status_code == 403
        assert "your role may not manage the team" in response.content.decode()
    assert _snapshot() == before


# --- roles and deactivation -------------------------------------------------------


def test_role_change_and_deactivation_and_reactivation(client: Any, users: Any) -> None:
    c = _client(client, users["admin"])
    analyst = users["analyst"]
    api_token_for(analyst)
    response = c.post(
        reverse("access:member", args=[analyst.pk]),
        {"role": "account_manager", "first_name": "小赵", "email": ""},
    )
    assert response.status_code == 302
    analyst.refresh_from_db()
    assert (analyst.staff_profile.role, analyst.first_name) == (
        "account_manager",
        "小赵",
    )

    assert (
        c.post(reverse("access:member-deactivate", args=[analyst.pk])).status_code
        == 302
    )
    analyst.refresh_from_db()
    assert analyst.is_active is False
    assert not Token.objects.filter(user=analyst).exists()
    assert (
        c.post(reverse("access:member-reactivate", args=[analyst.pk])).status_code
        == 302
    )
    analyst.refresh_from_db()
    assert analyst.is_active is True


def test_the_last_admin_can_be_neither_deactivated_nor_demoted(
    client: Any, users: Any
) -> None:
    boss = users["admin"]
    other = User.objects.create_user(username="second")
    StaffProfile.objects.create(user=other, role=Role.ADMIN)
    c = _client(client, other)
    before = _snapshot()
    # Two admins: one may demote the other, not then the last one.
    assert (
        c.post(
            reverse("access:member", args=[boss.pk]),
            {"role": "operations", "first_name": "", "email": ""},
        ).status_code
        == 302
    )
    c = _client(client, other)
    demote = c.post(
        reverse("access:member", args=[other.pk]),
        {"role": "analyst", "first_name": "", "email": ""},
    )
    assert demote.status_code == 400
    assert _error(demote) == (
        "the last admin must stay an admin: make someone else admin first"
    )
    self_off = c.post(reverse("access:member-deactivate", args=[other.pk]))
    assert self_off.status_code == 400
    assert _error(self_off) == "you cannot deactivate yourself"
    after = _snapshot()
    assert [row for row in after if row[0] == "second"] == [
        row for row in before if row[0] == "second"
    ]


def test_a_deactivated_colleague_gets_no_password_link(client: Any, users: Any) -> None:
    gone = users["service"]
    User.objects.filter(pk=gone.pk).update(is_active=False)
    c = _client(client, users["admin"])
    response = c.post(reverse("access:member-link", args=[gone.pk]))
    assert response.status_code == 400
    assert _error(response) == "reactivate this person first"


def test_an_old_link_stops_working_once_a_newer_one_was_used(
    client: Any, users: Any
) -> None:
    colleague = users["service"]
    first = password_link_make(actor=users["admin"], user=colleague)
    second = password_link_make(actor=users["admin"], user=colleague)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    form = {"password": "Wulong-tea-2026", "password_again": "Wulong-tea-2026"}
    assert (
        client.post(reverse("access:password-link", args=second), form).status_code
        == 302
    )
    assert (
        client.post(reverse("access:password-link", args=first), form).status_code
        == 400
    )


# --- one's own account -------------------------------------------------------------


def test_change_own_password(client: Any, users: Any) -> None:
    me = users["account_manager"]
    c = _client(client, me)
    url = reverse("access:account-password")
    before = _snapshot()
    wrong = c.post(
        url,
        {
            "current": "nope",
            "password": "Tieguanyin-88",
            "password_again": "Tieguanyin-88",
        },
    )
    assert wrong.status_code == 400
    assert _error(wrong) == "your current password is not correct"
    weak = c.post(
        url,
        {
            "current": "guanxi-test-pass",
            "password": "password",
            "password_again": "password",
        },
    )
    assert weak.status_code == 400
    assert _error(weak) == "This password is too common."
    assert _snapshot() == before
    ok = c.post(
        url,
        {
            "current": "guanxi-test-pass",
            "password": "Tieguanyin-88",
            "password_again": "Tieguanyin-88",
        },
    )
    assert ok.status_code == 302
    assert User.objects.get(pk=me.pk).check_password("Tieguanyin-88")
    # Still logged in after the change.
    assert c.get(reverse("access:account")).status_code == 200


def test_own_language_is_stored_and_applied_at_login(client: Any, users: Any) -> None:
    me = users["service"]
    c = _client(client, me)
    bad = c.post(reverse("access:account-language"), {"language": "fr"})
    assert bad.status_code == 400
    assert _error(bad) == "choose a language"
    assert StaffProfile.objects.get(user=me).language == ""
    assert (
        c.post(reverse("access:account-language"), {"language": "en"}).status_code
        == 302
    )
    assert StaffProfile.objects.get(user=me).language == "en"
    c.logout()
    c.cookies.clear()
    c.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    login = c.post(
        reverse("web:login"), {"username": "service", "password": "guanxi-test-pass"}
    )
    assert login.status_code == 302
    assert login.cookies["django_language"].value == "en"
    assert "Your account" in c.get(reverse("access:account")).content.decode()


def test_token_create_rotate_revoke_and_the_api_refuses_the_old_one(
    client: Any, users: Any
) -> None:
    from rest_framework.test import APIClient

    me = users["account_manager"]
    c = _client(client, me)
    c.post(reverse("access:account-token"))
    page = c.get(reverse("access:account")).content.decode()
    key = re.search(r'id="new-token"[^>]*value="(gx_[A-Za-z0-9_-]{43})"', page)
    assert key is not None
    assert "“Authorization: Token &lt;key&gt;”" in page
    # Shown once: the next visit shows only its beginning.
    again = c.get(reverse("access:account")).content.decode()
    assert key.group(1) not in again
    assert f"A token beginning with {key.group(1)[:10]}…" in again

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key.group(1)}")
    assert api.get("/api/v1/customers/").status_code == 200
    c.post(reverse("access:account-token"))
    assert api.get("/api/v1/customers/").status_code == 401
    rotated = c.get(reverse("access:account")).content.decode()
    new_key = re.search(r'id="new-token"[^>]*value="(gx_[A-Za-z0-9_-]{43})"', rotated)
    assert new_key is not None and new_key.group(1) != key.group(1)
    api.credentials(HTTP_AUTHORIZATION=f"Token {new_key.group(1)}")
    assert api.get("/api/v1/customers/").status_code == 200
    c.post(reverse("access:account-token-revoke"))
    assert not Token.objects.filter(user=me).exists()
    assert api.get("/api/v1/customers/").status_code == 401
    actions = list(
        AuditEvent.objects.filter(action__startswith="token.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["token.issued", "token.issued", "token.revoked"]


def test_a_user_without_a_role_holds_no_token(client: Any, db: Any) -> None:
    nobody = User.objects.create_user(username="nobody", password="x")
    c = _client(client, nobody)
    response = c.post(reverse("access:account-token"))
    assert response.status_code == 403
    assert "your role may not hold an API token" in response.content.decode()
    assert not Token.objects.exists()


def test_the_team_list_says_each_role_and_its_scope(client: Any, users: Any) -> None:
    User.objects.create_user(username="newbie")
    c = _client(client, users["admin"])
    html = c.get(reverse("access:team")).content.decode()
    rows = dict(
        re.findall(
            r'<a href="/settings/team/\d+/">([^<]+)</a>.*?'
            r'data-label="Scope">([^<]+)</td>',
            html,
            flags=re.S,
        )
    )
    assert rows == {
        "account_manager": "Own customers only",
        "admin": "All customers",
        "analyst": "All customers",
        "newbie": "No customers (no role)",
        "operations": "All customers",
        "other_manager": "Own customers only",
        "service": "All customers",
    }
