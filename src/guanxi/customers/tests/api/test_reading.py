"""REST API v1 for customers, reading: scope, masking, pseudonyms, filters,
pages and their query counts."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from guanxi.access.tests.factories import api_token_for
from guanxi.core.crypto import pseudonym
from guanxi.customers.models import Tag
from guanxi.customers.tests.api.conftest import LIST, detail


def test_admin_lists_everyone_with_full_contact_data(api: Any, world: Any) -> None:
    body = api("admin").get(LIST).json()
    assert len(body["results"]) == 2
    first = body["results"][1]
    assert first == {
        "id": str(world["own"].pk),
        "pk": world["own"].pk,
        "name": "王芳",
        "phone": "+8613800138000",
        "email": "wang.fang@example.com",
        "address": "浙江省杭州市西湖区文三路 1 号",
        "birthday": "1990-05-17",
        "city": "杭州",
        "gender": "female",
        "birth_year": 1990,
        "preferred_channel": "",
        "tags": ["VIP"],
        "first_seen_at": None,
        "assigned_manager": world["users"]["account_manager"].pk,
        "language": "",
        "time_zone": "",
    }


def test_operations_see_masked_contact_fields(api: Any, world: Any) -> None:
    response = api("operations").get(detail(world["own"].pk))
    card = response.json()
    assert card["phone"] == "138****8000"
    assert card["email"] == "w***@example.com"
    assert card["address"] == "浙江省杭州市****"
    assert card["birthday"] is None
    text = response.content.decode()
    assert "13800138000" not in text
    assert "wang.fang" not in text


def test_analysts_see_pseudonyms_and_no_contact_fields(api: Any, world: Any) -> None:
    response = api("analyst").get(LIST)
    body = response.json()
    assert len(body["results"]) == 2
    ids = {row["id"] for row in body["results"]}
    assert ids == {pseudonym(world["own"].pk), pseudonym(world["foreign"].pk)}
    for row in body["results"]:
        assert set(row) == {
            "id",
            "city",
            "gender",
            "birth_year",
            "preferred_channel",
            "tags",
            "first_seen_at",
        }
    text = response.content.decode()
    for secret in ("王芳", "李雷", "13800138000", "wang.fang", "文三路"):
        assert secret not in text


def test_analysts_cannot_address_a_customer_by_number(api: Any, world: Any) -> None:
    response = api("analyst").get(detail(world["own"].pk))
    assert response.status_code == 404
    assert response.json() == {"detail": "customer not found"}


def test_account_manager_sees_only_own_customers(api: Any, world: Any) -> None:
    client = api("account_manager")
    body = client.get(LIST).json()
    assert len(body["results"]) == 1
    assert [row["pk"] for row in body["results"]] == [world["own"].pk]
    foreign = client.get(detail(world["foreign"].pk))
    assert foreign.status_code == 404
    assert foreign.json() == {"detail": "customer not found"}
    # Not even a search by the foreign customer's phone finds it.
    assert len(client.get(LIST, {"phone": "13900139000"}).json()["results"]) == 0
    assert len(client.get(LIST, {"q": "13900139000"}).json()["results"]) == 0


def test_missing_and_malformed_ids_are_404(api: Any, world: Any) -> None:
    client = api("admin")
    assert client.get(detail(999999)).json() == {"detail": "customer not found"}
    assert client.get(detail("abc")).status_code == 404


def test_pagination_counts_only_the_scope(
    api: Any, users: dict[str, Any], make_customer: Any
) -> None:
    for _ in range(3):
        make_customer(assigned_manager=users["account_manager"])
    for _ in range(4):
        make_customer(assigned_manager=users["other_manager"])
    page = api("account_manager").get(LIST, {"page_size": 2}).json()
    assert len(page["results"]) == 3
    admin = api("admin").get(LIST).json()
    assert len(admin["results"]) == 7
    no_role_user = users["admin"].__class__.objects.create_user("nobody")
    token_key = api_token_for(no_role_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_key}")
    assert client.get(LIST).json() == {
        "next": None,
        "previous": None,
        "results": [],
    }


def test_list_pages_through_results(api: Any, make_customer: Any) -> None:
    made = [make_customer() for _ in range(55)]
    client = api("admin")
    first = client.get(LIST).json()
    assert len(first["results"]) == 50
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert second["next"] is None
    seen = [r["pk"] for r in first["results"] + second["results"]]
    assert seen == sorted((c.pk for c in made), reverse=True)
    back = client.get(second["previous"]).json()
    assert [r["pk"] for r in back["results"]] == seen[:50]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"phone": "138 0013 8000"}, ["own"]),
        ({"phone": "+86 139-0013-9000"}, ["foreign"]),
        ({"phone": "not a phone"}, []),
        ({"email": "WANG.FANG@example.com"}, ["own"]),
        ({"email": "nobody@example.com"}, []),
        ({"q": "王芳"}, ["own"]),
        ({"q": "li.lei@example.com"}, ["foreign"]),
        ({"q": "13800138000"}, ["own"]),
        ({"name": "李雷"}, ["foreign"]),
        ({"city": "上海"}, ["foreign"]),
        ({"tag": "VIP"}, ["own"]),
        ({"gender": "female"}, ["own"]),
        ({"birth_year": 1990}, ["own"]),
    ],
)
def test_filters(
    api: Any, world: Any, query: dict[str, Any], expected: list[str]
) -> None:
    body = api("admin").get(LIST, query).json()
    assert [row["pk"] for row in body["results"]] == [world[k].pk for k in expected]
    assert len(body["results"]) == len(expected)


def test_filter_by_manager(api: Any, world: Any) -> None:
    manager = world["users"]["other_manager"].pk
    body = api("admin").get(LIST, {"assigned_manager": manager}).json()
    assert [row["pk"] for row in body["results"]] == [world["foreign"].pk]


@pytest.mark.parametrize(
    "query",
    [
        {"name": "王芳"},
        {"q": "王芳"},
        {"q": "13800138000"},
        {"q": "wang.fang@example.com"},
        {"phone": "13800138000"},
        {"email": "wang.fang@example.com"},
    ],
)
def test_analysts_cannot_link_a_person_to_a_pseudonym(
    api: Any, world: Any, query: dict[str, str]
) -> None:
    # The same searches find the customer for everyone who may see contact data.
    assert len(api("operations").get(LIST, query).json()["results"]) == 1
    assert len(api("analyst").get(LIST, query).json()["results"]) == 0


def test_analysts_still_filter_by_behaviour_fields(api: Any, world: Any) -> None:
    body = api("analyst").get(LIST, {"city": "杭州", "tag": "VIP"}).json()
    assert [row["id"] for row in body["results"]] == [pseudonym(world["own"].pk)]


def test_bad_filter_value_is_a_clear_400(api: Any, world: Any) -> None:
    response = api("admin").get(LIST, {"gender": "robot"})
    assert response.status_code == 400
    assert response.json() == {
        "gender": ["Select a valid choice. robot is not one of the available choices."]
    }


def test_list_query_count_does_not_grow_with_rows(
    api: Any,
    make_customer: Any,
    django_assert_max_num_queries: Any,
) -> None:
    vip, _ = Tag.objects.get_or_create(name="VIP")
    client = api("operations")
    for _ in range(3):
        make_customer().tags.add(vip)
    # token+user, role, count, page, tags
    with django_assert_max_num_queries(5):
        assert len(client.get(LIST).json()["results"]) == 3
    for _ in range(30):
        make_customer().tags.add(vip)
    with django_assert_max_num_queries(5):
        assert len(client.get(LIST).json()["results"]) == 33


def test_anonymous_requests_are_refused(world: Any) -> None:
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").get(LIST)
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided."
    }
    # The browser's language picks the language of the answer.
    chinese = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans").get(LIST)
    assert chinese.json() == {"detail": "身份认证信息未提供。"}
