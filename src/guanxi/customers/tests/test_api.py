"""REST API v1 for customers and interactions: scope, masking, validation, writes."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from rest_framework.test import APIClient

from guanxi.access.choices import Role
from guanxi.access.models import ApiToken
from guanxi.access.tests.factories import api_token_for
from guanxi.core.crypto import pseudonym
from guanxi.customers.models import Customer, Interaction, Tag
from guanxi.customers.search import phone_key

LIST = "/api/v1/customers/"
INTERACTIONS = "/api/v1/interactions/"


def detail(pk: Any) -> str:
    return f"{LIST}{pk}/"


@pytest.fixture
def world(users: dict[str, Any], make_customer: Any) -> dict[str, Any]:
    vip, _ = Tag.objects.get_or_create(name="VIP")
    own = make_customer(
        name="王芳",
        phone="+8613800138000",
        email="wang.fang@example.com",
        address="浙江省杭州市西湖区文三路 1 号",
        birthday=dt.date(1990, 5, 17),
        city="杭州",
        gender="female",
        assigned_manager=users["account_manager"],
    )
    own.tags.add(vip)
    foreign = make_customer(
        name="李雷",
        phone="+8613900139000",
        email="li.lei@example.com",
        city="上海",
        assigned_manager=users["other_manager"],
    )
    return {"own": own, "foreign": foreign, "users": users}


# --- reading -----------------------------------------------------------------


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


# --- creating ----------------------------------------------------------------


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


# --- interactions ------------------------------------------------------------


def _interaction(target: Customer, /, **extra: Any) -> dict[str, Any]:
    payload = {
        "customer": target.pk,
        "kind": "call",
        "occurred_at": "2026-10-02 10:00",
        "channel": "phone",
        "note": "问了新茶",
    }
    return {**payload, **extra}


def test_interaction_create_and_idempotency(api: Any, world: Any) -> None:
    client = api("service")
    payload = _interaction(world["own"], source="crm", external_id="c-1")
    first = client.post(INTERACTIONS, payload, format="json")
    assert first.status_code == 201
    body = first.json()
    stored = Interaction.objects.get(pk=body["id"])
    assert body == {
        "id": stored.pk,
        "customer": str(world["own"].pk),
        "kind": "call",
        "occurred_at": "2026-10-02T10:00:00+08:00",
        "channel": "phone",
        "note": "问了新茶",
        "source": "crm",
        "external_id": "c-1",
    }
    again = client.post(INTERACTIONS, {**payload, "note": "changed"}, format="json")
    assert again.status_code == 200
    assert again.json() == body
    assert Interaction.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "change", "status", "error"),
    [
        ("admin", {"kind": "dance"}, 400, None),
        (
            "admin",
            {"occurred_at": "2026-02-30"},
            400,
            {"occurred_at": ["impossible date"]},
        ),
        ("admin", {"occurred_at": "yesterday"}, 400, None),
        ("admin", {"customer": 999999}, 400, {"customer": ["unknown customer"]}),
        ("admin", {"customer": "x"}, 400, {"customer": ["unknown customer"]}),
        (
            "account_manager",
            {"customer": "foreign"},
            400,
            {"customer": ["unknown customer"]},
        ),
        ("analyst", {}, 403, {"detail": "your role may not record interactions"}),
    ],
)
def test_interaction_bad_input_writes_nothing(
    api: Any,
    world: Any,
    role: str,
    change: dict[str, Any],
    status: int,
    error: dict[str, Any] | None,
) -> None:
    payload = _interaction(world["own"], **change)
    if change.get("customer") == "foreign":
        payload["customer"] = world["foreign"].pk
    response = api(role).post(INTERACTIONS, payload, format="json")
    assert response.status_code == status
    if error is None and "kind" in change:
        error = {
            "kind": [
                "not a valid kind (expected one of: visit, login, message_opened, "
                "message_clicked, community_post, call, event_attended, review, "
                "complaint, chat, note)"
            ]
        }
    if error is None:
        error = {
            "occurred_at": [
                "not a date (expected e.g. 2024-01-05, 2024/1/5 or 2024年1月5日)"
            ]
        }
    assert response.json() == error
    assert Interaction.objects.count() == 0


def test_analyst_sees_interactions_customer_by_pseudonym(api: Any, world: Any) -> None:
    # Analysts may not write; check the presenter path through an admin write.
    response = api("admin").post(
        INTERACTIONS, _interaction(world["own"]), format="json"
    )
    assert response.json()["customer"] == str(world["own"].pk)


# --- tokens ---------------------------------------------------------


def test_api_token_command(users: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("api_token", "operations", stdout=out)
    key = out.getvalue().strip()
    assert ApiToken.objects.get(user=users["operations"]).prefix == key[:10]
    # Shown once: the key is not kept, so it cannot be printed again.
    with (
        translation.override("en"),
        pytest.raises(
            CommandError,
            match=r"^user operations already has a token, which cannot be shown "
            r"again: --rotate replaces it$",
        ),
    ):
        call_command("api_token", "operations")
    rotated = io.StringIO()
    call_command("api_token", "operations", "--rotate", stdout=rotated)
    assert rotated.getvalue().strip() not in ("", key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {rotated.getvalue().strip()}")
    assert client.get(LIST).status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(LIST).status_code == 401


def test_api_token_command_errors(users: dict[str, Any], make_user: Any) -> None:
    with (
        translation.override("en"),
        pytest.raises(CommandError, match=r"^no user named ghost$"),
    ):
        call_command("api_token", "ghost")
    users["admin"].__class__.objects.create_user("drifter")
    with (
        translation.override("en"),
        pytest.raises(
            CommandError, match=r"^user drifter has no role; give them a role first$"
        ),
    ):
        call_command("api_token", "drifter")
    gone = make_user(Role.SERVICE, username="gone")
    gone.is_active = False
    gone.save()
    with (
        translation.override("en"),
        pytest.raises(CommandError, match=r"^user gone is inactive$"),
    ):
        call_command("api_token", "gone")
    assert ApiToken.objects.count() == 0


def test_form_posts_work_like_json(api: Any, db: Any) -> None:
    # The browsable API posts forms; the same rules apply.
    response = api("admin").post(LIST, {"name": "表单", "phone": "13600136000"})
    assert response.status_code == 201
    assert json.loads(response.content)["phone"] == "+8613600136000"
