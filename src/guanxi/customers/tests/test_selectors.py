"""Customer reads, called directly: scope, search through the blind indexes,
addressing by number, timelines and monthly counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from guanxi.core.errors import NotFound
from guanxi.customers.choices import InteractionKind
from guanxi.customers.models import Customer, Interaction, Tag
from guanxi.customers.selectors import (
    customer_filter_email,
    customer_filter_name,
    customer_filter_phone,
    customer_get,
    customer_list,
    customer_monthly_new,
    customer_scope,
    customer_search,
    interaction_list,
    tag_list,
)

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2026, 3, 15, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def people(users: dict[str, Any], make_customer: Any) -> dict[str, Customer]:
    """The account manager's two customers and another manager's one."""
    return {
        "wang": make_customer(
            name="王芳",
            phone="+8613800138000",
            email="wang.fang@example.com",
            assigned_manager=users["account_manager"],
            first_seen_at=WHEN,
        ),
        "zhao": make_customer(
            name="赵敏",
            phone="+8613600136000",
            assigned_manager=users["account_manager"],
            first_seen_at=WHEN + dt.timedelta(days=31),
        ),
        "li": make_customer(
            name="李雷",
            phone="+8613900139000",
            email="li.lei@example.com",
            assigned_manager=users["other_manager"],
            first_seen_at=WHEN,
        ),
    }


def _names(qs: Any) -> list[str]:
    return sorted(c.name for c in qs)


def test_customer_scope_per_role(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    everyone = ["李雷", "王芳", "赵敏"]
    for role in ("admin", "operations", "service", "analyst"):
        assert _names(customer_scope(actor=users[role])) == everyone, role
    assert _names(customer_scope(actor=users["account_manager"])) == ["王芳", "赵敏"]
    assert _names(customer_scope(actor=users["other_manager"])) == ["李雷"]
    assert list(customer_scope(actor=AnonymousUser())) == []
    assert list(customer_scope(actor=None)) == []


def test_customer_list_is_newest_first(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    ids = list(customer_list(actor=users["admin"]).values_list("pk", flat=True))
    assert ids == sorted((c.pk for c in people.values()), reverse=True)


def test_customer_get_answers_like_a_missing_record_outside_scope(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    wang, li = people["wang"], people["li"]
    assert customer_get(actor=users["account_manager"], pk=wang.pk) == wang
    assert customer_get(actor=users["service"], pk=str(li.pk)) == li
    for actor, pk in [
        (users["account_manager"], li.pk),  # someone else's customer
        (users["analyst"], wang.pk),  # known by pseudonym only
        (AnonymousUser(), wang.pk),
        (users["admin"], 999_999),
        (users["admin"], "12abc"),
        (users["admin"], None),
    ]:
        with translation.override("en"), pytest.raises(NotFound) as caught:
            customer_get(actor=actor, pk=pk)  # type: ignore[arg-type]
        assert caught.value.message == "customer not found"


def test_phone_filter_takes_any_common_format(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    admin = users["admin"]
    qs = Customer.objects.all()
    for typed in ("13800138000", "138 0013 8000", "+86 138-0013-8000"):
        assert _names(customer_filter_phone(qs, typed, actor=admin)) == ["王芳"]
    assert list(customer_filter_phone(qs, "not a phone", actor=admin)) == []
    assert list(customer_filter_phone(qs, "13800138000", actor=users["analyst"])) == []


def test_email_filter_matches_the_whole_address(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    admin = users["admin"]
    qs = Customer.objects.all()
    assert _names(customer_filter_email(qs, "li.lei@example.com", actor=admin)) == [
        "李雷"
    ]
    assert list(customer_filter_email(qs, "li.lei@example", actor=admin)) == []
    assert list(customer_filter_email(qs, "example.com", actor=admin)) == []
    analyst = users["analyst"]
    assert list(customer_filter_email(qs, "li.lei@example.com", actor=analyst)) == []


def test_name_filter_finds_part_of_a_name(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    admin = users["admin"]
    qs = Customer.objects.all()
    assert _names(customer_filter_name(qs, "王芳", actor=admin)) == ["王芳"]
    assert _names(customer_filter_name(qs, "敏", actor=admin)) == ["赵敏"]
    assert list(customer_filter_name(qs, "王敏", actor=admin)) == []
    assert list(customer_filter_name(qs, "王芳", actor=users["analyst"])) == []


def test_search_picks_email_phone_number_or_name(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    admin = users["admin"]
    qs = customer_scope(actor=admin)
    assert _names(customer_search(qs, " wang.fang@example.com ", actor=admin)) == [
        "王芳"
    ]
    assert _names(customer_search(qs, "139 0013 9000", actor=admin)) == ["李雷"]
    assert _names(customer_search(qs, str(people["zhao"].pk), actor=admin)) == ["赵敏"]
    assert _names(customer_search(qs, "李雷", actor=admin)) == ["李雷"]
    assert _names(customer_search(qs, "   ", actor=admin)) == ["李雷", "王芳", "赵敏"]


def test_search_never_widens_the_scope_it_is_given(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    manager = users["account_manager"]
    qs = customer_scope(actor=manager)
    for text in ("13900139000", "li.lei@example.com", "李雷", str(people["li"].pk)):
        assert list(customer_search(qs, text, actor=manager)) == [], text


def test_search_finds_nobody_for_a_pseudonymous_role(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    analyst = users["analyst"]
    qs = customer_scope(actor=analyst)
    for text in (
        "13800138000",
        "wang.fang@example.com",
        "王芳",
        str(people["wang"].pk),
    ):
        assert list(customer_search(qs, text, actor=analyst)) == [], text
    # An empty search is no search: the list stays as it was.
    assert len(customer_search(qs, "", actor=analyst)) == 3


def test_interaction_list_is_newest_first_and_scoped(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    wang, li = people["wang"], people["li"]
    for days, note in [(1, "first"), (3, "third"), (2, "second")]:
        Interaction.objects.create(
            customer=wang,
            kind=InteractionKind.CALL,
            occurred_at=WHEN + dt.timedelta(days=days),
            note=note,
        )
    Interaction.objects.create(
        customer=li, kind=InteractionKind.VISIT, occurred_at=WHEN, note="li"
    )
    manager = users["account_manager"]
    notes = [i.note for i in interaction_list(actor=manager, customer=wang)]
    assert notes == ["third", "second", "first"]
    assert list(interaction_list(actor=manager, customer=li)) == []
    assert [i.note for i in interaction_list(actor=users["admin"], customer=li)] == [
        "li"
    ]
    assert list(interaction_list(actor=AnonymousUser(), customer=wang)) == []


def test_tag_list_is_by_name(db: Any) -> None:
    for name in ("VIP", "复购", "B2B"):
        Tag.objects.create(name=name)
    assert [t.name for t in tag_list()] == ["B2B", "VIP", "复购"]


def test_monthly_new_counts_first_seen_per_period_in_scope(
    users: dict[str, Any], people: dict[str, Customer]
) -> None:
    march = (WHEN.replace(day=1), WHEN.replace(month=4, day=1))
    april = (WHEN.replace(month=4, day=1), WHEN.replace(month=5, day=1))
    may = (WHEN.replace(month=5, day=1), WHEN.replace(month=6, day=1))
    periods = [march, april, may]
    assert customer_monthly_new(actor=users["admin"], periods=periods) == [2, 1, 0]
    manager = users["account_manager"]
    assert customer_monthly_new(actor=manager, periods=periods) == [1, 1, 0]
    assert customer_monthly_new(actor=AnonymousUser(), periods=periods) == [0, 0, 0]
    assert customer_monthly_new(actor=users["admin"], periods=[]) == []
