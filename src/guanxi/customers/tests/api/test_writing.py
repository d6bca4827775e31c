"""REST API v1 for customers, writing: creating and updating, with every
bad input refused and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.customers.models import Customer
from guanxi.customers.search import phone_key
from guanxi.customers.tests.api.conftest import LIST, detail


def test_create_normalises_and_indexes(api: Any, users: dict[str, Any]) -> None:
    # Admins may create the new tags named; service staff may only use
    # existing ones (tests/test_tag_policy in the tags app).
    response = api("admin").post(
        LIST,
        {
            "name": " 张　伟 ",
            "phone": "138-0013-8001",
            "email": "Zhang.Wei@Example.COM",
            "birthday": "1988年3月9日",
            "city": "北京",
            "tags": ["VIP", "新客"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    card = response.json()
    customer = Customer.objects.get(pk=card["pk"])
    assert card["phone"] == "+8613800138001"
    assert card["email"] == "zhang.wei@example.com"
    assert card["name"] == "张 伟"
    assert card["birthday"] == "1988-03-09"
    assert card["tags"] == ["VIP", "新客"]
    assert customer.phone_index == phone_key("+8613800138001")
    assert customer.assigned_manager is None


def test_account_manager_creates_own_customer(api: Any, users: dict[str, Any]) -> None:
    response = api("account_manager").post(LIST, {"name": "赵敏"}, format="json")
    assert response.status_code == 201
    customer = Customer.objects.get(pk=response.json()["pk"])
    assert customer.assigned_manager == users["account_manager"]


@pytest.mark.parametrize(
    ("role", "payload", "status", "error"),
    [
        ("admin", {"phone": "12345"}, 400, {"phone": ["not a valid phone number"]}),
        ("admin", {"phone": "call me"}, 400, {"phone": ["not a phone number"]}),
        (
            "admin",
            {"name": "A", "email": "nobody@"},
            400,
            {"email": ["not a valid email address"]},
        ),
        (
            "admin",
            {"name": "A", "phone": "13800138000"},
            400,
            {"phone": ["another customer has this phone number"]},
        ),
        (
            "admin",
            {"name": "A", "email": "WANG.FANG@example.com"},
            400,
            {"email": ["another customer has this email address"]},
        ),
        (
            "admin",
            {"name": "A", "birthday": "1990-02-30"},
            400,
            {"birthday": ["impossible date"]},
        ),
        (
            "admin",
            {"city": "上海"},
            400,
            {"detail": "a customer needs a name, a phone number or an email address"},
        ),
        (
            "admin",
            {"name": "A", "assigned_manager": 999999},
            400,
            {"assigned_manager": ["no active user with this id"]},
        ),
        (
            "admin",
            {"name": "A", "gender": "robot"},
            400,
            {"gender": ['"robot" is not a valid choice.']},
        ),
        ("analyst", {"name": "A"}, 403, {"detail": "your role may not edit customers"}),
        (
            "service",
            {"name": "A", "assigned_manager": 1},
            403,
            {"detail": "your role may not assign account managers"},
        ),
        (
            "account_manager",
            {"name": "A", "assigned_manager": None},
            403,
            {"detail": "your role may not assign account managers"},
        ),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(
    api: Any,
    world: Any,
    role: str,
    payload: dict[str, Any],
    status: int,
    error: dict[str, Any],
) -> None:
    before = Customer.objects.count()
    response = api(role).post(LIST, payload, format="json")
    assert response.status_code == status
    assert response.json() == error
    assert Customer.objects.count() == before


def test_admin_assigns_a_manager(api: Any, users: dict[str, Any]) -> None:
    manager = users["account_manager"]
    response = api("admin").post(
        LIST, {"name": "A", "assigned_manager": manager.pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["assigned_manager"] == manager.pk
    assert len(api("account_manager").get(LIST).json()["results"]) == 1


# --- updating ----------------------------------------------------------------


def test_patch_changes_contact_and_search_follows(api: Any, world: Any) -> None:
    client = api("account_manager")
    own = world["own"]
    response = client.patch(detail(own.pk), {"phone": "13700137000"}, format="json")
    assert response.status_code == 200
    assert response.json()["phone"] == "+8613700137000"
    own.refresh_from_db()
    assert own.phone == "+8613700137000"
    assert own.email == "wang.fang@example.com"
    assert [
        r["pk"] for r in client.get(LIST, {"phone": "13700137000"}).json()["results"]
    ] == [own.pk]
    assert len(client.get(LIST, {"phone": "13800138000"}).json()["results"]) == 0


def test_put_replaces_the_profile(api: Any, world: Any) -> None:
    own = world["own"]
    response = api("admin").put(
        detail(own.pk), {"name": "王芳芳", "city": "苏州"}, format="json"
    )
    assert response.status_code == 200
    own.refresh_from_db()
    assert (own.name, own.city, own.phone, own.email, own.birthday) == (
        "王芳芳",
        "苏州",
        None,
        None,
        None,
    )
    assert own.phone_index is None
    assert list(own.tags.all()) == []
    # A PUT does not touch the account manager unless it names one.
    assert own.assigned_manager == world["users"]["account_manager"]


@pytest.mark.parametrize(
    ("role", "target", "payload", "status", "error"),
    [
        (
            "account_manager",
            "own",
            {"assigned_manager": None},
            403,
            {"detail": "your role may not assign account managers"},
        ),
        (
            "service",
            "own",
            {"city": "上海", "assigned_manager": 1},
            403,
            {"detail": "your role may not assign account managers"},
        ),
        (
            "account_manager",
            "foreign",
            {"city": "上海"},
            404,
            {"detail": "customer not found"},
        ),
        ("analyst", "own", {"city": "上海"}, 404, {"detail": "customer not found"}),
        (
            "admin",
            "own",
            {"phone": "13900139000"},
            400,
            {"phone": ["another customer has this phone number"]},
        ),
        (
            "admin",
            "own",
            {"email": "a@b@c"},
            400,
            {"email": ["not a valid email address"]},
        ),
        (
            "admin",
            "own",
            {"name": "", "phone": "", "email": ""},
            400,
            {"detail": "a customer needs a name, a phone number or an email address"},
        ),
        (
            "admin",
            "own",
            {"language": "Klingon", "city": "上海"},
            400,
            {"language": ["unknown language (expected zh-hans/中文 or en/English)"]},
        ),
        (
            "admin",
            "own",
            {"time_zone": "Mars/Olympus"},
            400,
            {
                "time_zone": [
                    "unknown time zone (expected an IANA name such as Asia/Shanghai)"
                ]
            },
        ),
    ],
)
def test_update_rejects_and_changes_nothing(
    api: Any,
    world: Any,
    role: str,
    target: str,
    payload: dict[str, Any],
    status: int,
    error: dict[str, Any],
) -> None:
    customer = world[target]
    before = Customer.objects.filter(pk=customer.pk).values().get()
    response = api(role).patch(detail(customer.pk), payload, format="json")
    assert response.status_code == status
    assert response.json() == error
    after = Customer.objects.filter(pk=customer.pk).values().get()
    assert after == before


def test_language_and_time_zone_are_set_in_any_common_spelling(
    api: Any, world: Any
) -> None:
    own = world["own"]
    response = api("admin").patch(
        detail(own.pk),
        {"language": "English", "time_zone": "europe/berlin"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["language"], body["time_zone"]) == ("en", "Europe/Berlin")
    own.refresh_from_db()
    assert (own.language, own.time_zone) == ("en", "Europe/Berlin")
    assert "language" not in api("analyst").get(LIST).json()["results"][0]


def test_admin_reassigns_a_customer(api: Any, world: Any) -> None:
    own = world["own"]
    other = world["users"]["other_manager"]
    response = api("admin").patch(
        detail(own.pk), {"assigned_manager": other.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["assigned_manager"] == other.pk
    assert api("account_manager").get(detail(own.pk)).status_code == 404
    assert api("other_manager").get(detail(own.pk)).status_code == 200
