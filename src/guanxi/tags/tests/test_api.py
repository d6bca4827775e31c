"""The tags API: lists with counts in scope, a customer's tags, JSON errors with
exact messages and nothing changed, pinned query counts."""

from __future__ import annotations

from typing import Any

import pytest
from tests.access import World

from guanxi.customers.models import CustomerTag, Tag
from guanxi.customers.services import tag_counts_refresh


def _url(customer: Any) -> str:
    return f"/api/v1/customers/{customer.pk}/tags/"


def _state() -> tuple[Any, ...]:
    return (
        sorted(Tag.objects.values_list("pk", "name", "customer_count")),
        sorted(CustomerTag.objects.values_list("customer_id", "tag_id", "added_by_id")),
    )


def test_the_tag_list_counts_only_the_callers_customers(
    crowded_world: World, api_client_for: Any
) -> None:
    tag_counts_refresh()
    auto = Tag.objects.create(
        name="生命周期·新客户",
        name_en="Lifecycle: new customer",
        kind="automatic",
        key="stage:new",
    )
    CustomerTag.objects.create(customer=crowded_world.foreign_customer, tag=auto)
    tag_counts_refresh()
    rows = {
        role: {
            row["name"]: row["customers"]
            for row in api_client_for(role).get("/api/v1/tags/").json()["results"]
        }
        for role in ("admin", "account_manager", "analyst")
    }
    assert rows["admin"] == {"VIP": 12, "复购": 10, "生命周期·新客户": 1}
    assert rows["analyst"] == rows["admin"]
    assert rows["account_manager"] == {"VIP": 6, "复购": 5, "生命周期·新客户": 0}
    english = api_client_for("admin").get("/api/v1/tags/", {"kind": "automatic"})
    assert english.json()["results"] == [
        {
            "id": auto.pk,
            "name": "生命周期·新客户",
            "name_en": "Lifecycle: new customer",
            "label": "Lifecycle: new customer",
            "kind": "automatic",
            "key": "stage:new",
            "color": "",
            "customers": 1,
        }
    ]
    chinese = api_client_for("admin", language="zh-hans").get(
        "/api/v1/tags/", {"kind": "automatic"}
    )
    assert chinese.json()["results"][0]["label"] == "生命周期·新客户"


def test_a_bad_kind_is_a_400(world: World, api_client_for: Any) -> None:
    response = api_client_for("admin").get("/api/v1/tags/", {"kind": "both"})
    assert response.status_code == 400
    assert response.json() == {
        "kind": ["not a valid kind (expected one of: manual, automatic)"]
    }


def test_add_list_and_remove_a_customers_tags(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for("account_manager")
    customer = world.own_customer
    created = client.post(
        _url(customer), {"name": "茶会嘉宾"}, content_type="application/json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["tag"]["name"] == "茶会嘉宾"
    assert (body["source"], body["added_by"]) == (
        "manual",
        world.users["account_manager"].pk,
    )
    again = client.post(
        _url(customer), {"tag": body["tag"]["id"]}, content_type="application/json"
    )
    assert again.status_code == 200
    listed = client.get(_url(customer)).json()
    assert [row["tag"]["name"] for row in listed["results"]] == ["VIP", "茶会嘉宾"]
    gone = client.delete(f"{_url(customer)}{body['tag']['id']}/")
    assert gone.status_code == 204
    missing = client.delete(f"{_url(customer)}{body['tag']['id']}/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "the customer does not have this tag"}


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ({"name": ""}, {"name": ["a tag needs a name"]}),
        ({}, {"tag": ["give either a tag or a name"]}),
        ({"name": "x" * 65}, {"name": ["too long (at most 64 characters)"]}),
        (
            {"name": "a\u0085b"},
            {"name": ["control character U+0085 at position 2 is not allowed"]},
        ),
        ({"tag": 999999}, {"tag": ["unknown tag"]}),
        ({"tag": "abc"}, {"tag": ["unknown tag"]}),
        ({"tag": 1, "name": "x"}, {"tag": ["give either a tag or a name"]}),
        ([], {"detail": "expected a JSON object"}),
    ],
)
def test_bad_input_is_a_json_400_and_changes_nothing(
    body: Any, answer: dict[str, Any], world: World, api_client_for: Any
) -> None:
    before = _state()
    response = api_client_for("admin").post(
        _url(world.own_customer), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == answer
    assert _state() == before


def test_a_manager_cannot_touch_another_managers_customer(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for("account_manager")
    before = _state()
    vip = Tag.objects.get(name="VIP")
    for response in (
        client.get(_url(world.foreign_customer)),
        client.post(
            _url(world.foreign_customer),
            {"name": "VIP"},
            content_type="application/json",
        ),
        client.delete(f"{_url(world.foreign_customer)}{vip.pk}/"),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "customer not found"}
    assert _state() == before


def test_analysts_read_tags_but_not_a_customer_by_number(
    world: World, api_client_for: Any
) -> None:
    client = api_client_for("analyst")
    assert client.get("/api/v1/tags/").status_code == 200
    assert client.get(_url(world.own_customer)).status_code == 404


@pytest.mark.parametrize("role", ["admin", "account_manager"])
def test_query_counts_are_pinned(
    role: str,
    crowded_world: World,
    api_client_for: Any,
    django_assert_num_queries: Any,
) -> None:
    client = api_client_for(role)
    # token with its user, role, tags with counts (a subquery for a manager)
    with django_assert_num_queries(3):
        assert client.get("/api/v1/tags/").status_code == 200
    # + customer (and its tags, read by customer_get), links with tags
    with django_assert_num_queries(5):
        body = client.get(_url(crowded_world.own_customer)).json()
    assert len(body["results"]) == 1
