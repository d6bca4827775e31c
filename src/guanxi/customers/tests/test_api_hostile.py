"""Customers API and pages under hostile and careless input (issue 8, items 4, 8,
9, 10): a 4xx with the exact message, nothing written, never a 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.db import connection

from guanxi.customers.models import Customer, Interaction

LIST = "/api/v1/customers/"
INTERACTIONS = "/api/v1/interactions/"
BIRTHDAY = "birthday out of range (accepted: 1900-01-01 to today)"
WHOLE = "enter a whole number from 1 to 9223372036854775807"


@pytest.fixture
def own(users: dict[str, Any], make_customer: Any) -> Any:
    return make_customer(name="王芳", assigned_manager=users["account_manager"])


def _rows() -> list[tuple[Any, ...]]:
    return list(
        Customer.objects.order_by("pk").values_list(
            "pk", "name_tokens", "phone_index", "birth_year", "city"
        )
    )


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"assigned_manager": str(2**70)}, {"assigned_manager": [WHOLE]}),
        ({"assigned_manager": "-1.79e308"}, {"assigned_manager": [WHOLE]}),
        ({"assigned_manager": "0"}, {"assigned_manager": [WHOLE]}),
        ({"birth_year": "0.5"}, {"birth_year": ["enter a year from 1900 to 2999"]}),
        ({"birth_year": "99999"}, {"birth_year": ["enter a year from 1900 to 2999"]}),
        (
            {"birth_year": ""},
            {"birth_year": ["enter a value, or leave the parameter out"]},
        ),
        ({"cursor": "garbage"}, {"cursor": ["not a valid cursor"]}),
    ],
)
def test_crafted_filters_are_a_clear_400(
    api: Any, own: Any, query: dict[str, str], error: dict[str, Any]
) -> None:
    response = api("admin").get(LIST, query)
    assert response.status_code == 400
    assert response.json() == error


@pytest.mark.parametrize("pk", ["0.5", str(2**70), "-3", "1e3", "%20"])
def test_odd_customer_ids_are_the_apis_404(api: Any, own: Any, pk: str) -> None:
    response = api("admin").get(f"{LIST}{pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "customer not found"}


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"name": "A", "birthday": "9999-12-31"}, {"birthday": [BIRTHDAY]}),
        ({"name": "A", "birthday": "0001-01-01"}, {"birthday": [BIRTHDAY]}),
        ({"name": "A", "birthday": "1899-12-31"}, {"birthday": [BIRTHDAY]}),
        (
            {"name": "张\x00三"},
            {"name": ["control character U+0000 at position 2 is not allowed"]},
        ),
        (
            {"name": "张三", "city": "杭\x85州"},
            {"city": ["control character U+0085 at position 2 is not allowed"]},
        ),
        ({"name": "x" * 201}, {"name": ["too long (at most 200 characters)"]}),
        (
            {"name": "A", "tags": ["x" * 65]},
            {"tags[0]": ["too long (at most 64 characters)"]},
        ),
        (
            {"name": "A", "assigned_manager": 2**64},
            {"assigned_manager": ["no active user with this id"]},
        ),
    ],
)
def test_create_refuses_out_of_range_values_and_writes_nothing(
    api: Any, own: Any, payload: dict[str, Any], error: dict[str, Any]
) -> None:
    before = _rows()
    response = api("admin").post(LIST, payload, format="json")
    assert response.status_code == 400
    assert response.json() == error
    assert _rows() == before


def test_invisible_marks_are_removed_from_names(api: Any, db: Any) -> None:
    response = api("admin").post(
        LIST, {"name": "\ufeff王\u200b芳\u2060", "city": "  杭州 "}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["name"], response.json()["city"]) == ("王芳", "杭州")


def test_multipart_bodies_work_as_documented(api: Any, db: Any) -> None:
    response = api("admin").post(
        LIST, {"name": "王芳", "tags": ["VIP", "茶友"]}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert sorted(response.json()["tags"]) == ["VIP", "茶友"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {"note": "x" * 10_001},
            {"note": ["too long (at most 10000 characters)"]},
        ),
        (
            {"note": "好\x1b[31m"},
            {"note": ["control character U+001B at position 2 is not allowed"]},
        ),
        (
            {"occurred_at": "9999-12-31T23:59:59-14:00"},
            {
                "occurred_at": [
                    "date out of range (accepted: 1970-01-01 to one day from now)"
                ]
            },
        ),
        ({"customer": 2**64}, {"customer": ["unknown customer"]}),
    ],
)
def test_interactions_refuse_hostile_values(
    api: Any, own: Any, change: dict[str, Any], error: dict[str, Any]
) -> None:
    payload = {
        "customer": own.pk,
        "kind": "call",
        "occurred_at": "2026-10-03 12:00",
        **change,
    }
    response = api("admin").post(INTERACTIONS, payload, format="json")
    assert response.status_code == 400
    assert response.json() == error
    assert Interaction.objects.count() == 0


def test_notes_keep_tabs_and_line_breaks(api: Any, own: Any) -> None:
    response = api("admin").post(
        INTERACTIONS,
        {
            "customer": own.pk,
            "kind": "call",
            "occurred_at": "2026-10-03 12:00",
            "note": "第一行\r\n\t第二行",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["note"] == "第一行\n\t第二行"


# --- the web pages: the app's error page with the message ---------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "/customers/{pk}/?page=1180591620717411303424",
            "page number must be a whole number from 1 to 10,000",
        ),
        (
            "/customers/{pk}/?page=0",
            "page number must be a whole number from 1 to 10,000",
        ),
        (f"/customers/?assigned_manager={2**70}", f"Account manager: {WHOLE}"),
        ("/customers/?birth_year=0.5", "Birth year: enter a year from 1900 to 2999"),
        (
            "/orders/?ordered_to=9999-12-31",
            "Ordered until: enter a date from 1900-01-01 to 2999-12-31",
        ),
        (
            "/orders/?ordered_from=0001-01-01",
            "Ordered from: enter a date from 1900-01-01 to 2999-12-31",
        ),
        ("/orders/?amount_min=1e11", "Amount at least: not an amount"),
    ],
)
def test_pages_answer_crafted_parameters_with_the_error_page(
    client: Any, users: dict[str, Any], own: Any, url: str, message: str
) -> None:
    client.force_login(users["admin"])
    response = client.get(url.format(pk=own.pk), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "keys",
    [
        ["9999-12-31T23:59:59-14:00", 1],
        ["0001-01-01T00:00:00+14:00", 1],
        ["x", 1],
        ["2026-10-01T00:00:00+08:00", 2**70],
    ],
)
def test_forged_page_cursors_on_the_order_page_are_refused(
    client: Any, users: dict[str, Any], own: Any, keys: list[Any]
) -> None:
    """Plain (as cursors were) or sealed with the server's own key (out of
    range values that would fail in the database): a 400 with a message."""
    from guanxi.commerce.models import Order
    from guanxi.core import pagination
    from guanxi.core.crypto import seal_token

    plain = base64.urlsafe_b64encode(json.dumps(keys).encode()).decode()
    sealed = seal_token(
        json.dumps(keys), context=pagination._context(("ordered_at", "id"), Order)
    )
    client.force_login(users["admin"])
    for cursor in (plain.rstrip("="), sealed):
        for name in ("after", "before"):
            response = client.get("/orders/", {name: cursor}, HTTP_ACCEPT_LANGUAGE="en")
            assert response.status_code == 400
            assert (
                "not a valid page link: open the list again from its first page"
                in response.content.decode()
            )


def test_empty_filter_fields_of_a_web_form_mean_no_filter(
    client: Any, users: dict[str, Any], own: Any
) -> None:
    client.force_login(users["admin"])
    response = client.get("/orders/?ordered_from=&ordered_to=&amount_min=")
    assert response.status_code == 200


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_birthday_far_out_of_range_already_stored_still_reads(
    api: Any, own: Any, client: Any, users: dict[str, Any]
) -> None:
    Customer.objects.filter(pk=own.pk).update(birth_year=9999)
    assert api("admin").get(LIST).status_code == 200
    client.force_login(users["admin"])
    assert client.get(f"/customers/{own.pk}/").status_code == 200
