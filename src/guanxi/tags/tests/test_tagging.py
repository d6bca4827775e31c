"""Tagging by hand: who and when are recorded, scope and roles, bad and hostile
input refused with the exact message and nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.models import CustomerTag, Tag
from guanxi.customers.services import (
    customer_tag_add,
    customer_tag_remove,
    customer_tags_bulk_add,
    customer_update,
    tag_create,
    tag_delete,
    tag_merge,
    tag_update,
)


@pytest.fixture
def own(make_customer: Any, users: dict[str, Any]) -> Any:
    return make_customer(assigned_manager=users["account_manager"])


@pytest.fixture
def foreign(make_customer: Any, users: dict[str, Any]) -> Any:
    return make_customer(assigned_manager=users["other_manager"])


def _state() -> tuple[Any, ...]:
    """Every tag and link as stored, to show that a refused write changed nothing."""
    return (
        sorted(
            Tag.objects.values_list("pk", "name", "kind", "color", "customer_count")
        ),
        sorted(
            CustomerTag.objects.values_list(
                "customer_id", "tag_id", "source", "added_by_id", "added_at"
            )
        ),
    )


def test_a_tag_set_by_hand_records_who_and_when(
    own: Any, users: dict[str, Any]
) -> None:
    manager = users["account_manager"]
    link, created = customer_tag_add(actor=manager, customer=own, name=" 茶会嘉宾 ")
    assert created
    stored = CustomerTag.objects.get(customer=own)
    assert (stored.tag.name, stored.tag.kind, stored.source) == (
        "茶会嘉宾",
        "manual",
        "manual",
    )
    assert stored.added_by == manager
    assert stored.added_at == link.added_at
    assert stored.tag.customer_count == 1
    # Again: nothing new, the first author and time stay.
    again, created = customer_tag_add(
        actor=users["admin"], customer=own, tag=stored.tag.pk
    )
    assert not created
    assert (again.added_by_id, again.added_at) == (manager.pk, stored.added_at)
    assert Tag.objects.get(name="茶会嘉宾").customer_count == 1


def test_removing_a_tag_takes_it_off_and_counts(
    own: Any, users: dict[str, Any]
) -> None:
    link, _ = customer_tag_add(actor=users["admin"], customer=own, name="VIP")
    assert customer_tag_remove(actor=users["service"], customer=own, tag=link.tag_id)
    assert not CustomerTag.objects.filter(customer=own).exists()
    assert Tag.objects.get(name="VIP").customer_count == 0
    assert not customer_tag_remove(actor=users["admin"], customer=own, tag=link.tag_id)


def test_an_account_manager_cannot_tag_someone_elses_customer(
    own: Any, foreign: Any, users: dict[str, Any]
) -> None:
    manager = users["account_manager"]
    customer_tag_add(actor=users["admin"], customer=foreign, name="VIP")
    before = _state()
    for call in (
        lambda: customer_tag_add(actor=manager, customer=foreign, name="VIP"),
        lambda: customer_tag_add(actor=manager, customer=foreign.pk, name="新标签"),
        lambda: customer_tag_remove(
            actor=manager, customer=foreign, tag=Tag.objects.get(name="VIP").pk
        ),
    ):
        with pytest.raises(NotFound, match=r"^customer not found$"):
            call()
    assert _state() == before


@pytest.mark.parametrize(
    ("role", "name", "message"),
    [
        ("analyst", "VIP", "your role may not tag customers"),
        ("service", "新标签", "your role may not create tags"),
    ],
)
def test_roles_that_may_not(
    role: str, name: str, message: str, own: Any, users: dict[str, Any]
) -> None:
    Tag.objects.create(name="VIP")
    before = _state()
    with pytest.raises(PermissionDenied) as caught:
        customer_tag_add(actor=users[role], customer=own, name=name)
    assert caught.value.message == message
    assert _state() == before


def test_service_staff_may_use_existing_tags(own: Any, users: dict[str, Any]) -> None:
    Tag.objects.create(name="投诉过")
    _link, created = customer_tag_add(
        actor=users["service"], customer=own, name="投诉过"
    )
    assert created


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name": ""}, "a tag needs a name"),
        ({"name": "   "}, "a tag needs a name"),
        ({"name": "\u200b"}, "a tag needs a name"),
        ({"name": "标" * 65}, "too long (at most 64 characters)"),
        ({"name": "ab\x07c"}, "control character U+0007 at position 3 is not allowed"),
        ({"name": "a\x00"}, "control character U+0000 at position 2 is not allowed"),
        ({"tag": 987654}, "unknown tag"),
        ({"tag": "1; DROP TABLE customers_tag"}, "unknown tag"),
        ({"tag": -1}, "unknown tag"),
        ({"tag": 2**80}, "unknown tag"),
        ({}, "give either a tag or a name"),
    ],
)
def test_bad_input_is_refused_with_its_message_and_changes_nothing(
    values: dict[str, Any], message: str, own: Any, users: dict[str, Any]
) -> None:
    customer_tag_add(actor=users["admin"], customer=own, name="VIP")
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        customer_tag_add(actor=users["admin"], customer=own, **values)
    assert caught.value.message == message
    assert _state() == before


def test_sixty_four_characters_are_enough(own: Any, users: dict[str, Any]) -> None:
    link, _ = customer_tag_add(actor=users["admin"], customer=own, name="标" * 64)
    assert link.tag.name == "标" * 64


def test_automatic_tags_are_not_set_or_changed_by_hand(
    own: Any, users: dict[str, Any]
) -> None:
    auto = Tag.objects.create(name="生命周期·新客户", kind="automatic", key="stage:new")
    CustomerTag.objects.create(customer=own, tag=auto, source="automatic")
    admin = users["admin"]
    before = _state()
    refusals: list[tuple[Callable[[], Any], str]] = [
        (lambda: customer_tag_add(actor=admin, customer=own, tag=auto.pk), "tag"),
        (lambda: customer_tag_add(actor=admin, customer=own, name=auto.name), "tag"),
        (lambda: customer_tag_remove(actor=admin, customer=own, tag=auto.pk), "tag"),
    ]
    for call, field in refusals:
        with pytest.raises(ValidationFailed) as caught:
            call()
        assert caught.value.message == (
            "automatic tags are set by the scoring run, not by hand"
        )
        assert caught.value.field == field
    for call in (
        lambda: tag_update(actor=admin, tag=auto, name="新客"),
        lambda: tag_delete(actor=admin, tag=auto),
        lambda: tag_merge(actor=admin, tag=auto, into=Tag.objects.create(name="x")),
    ):
        with pytest.raises(ValidationFailed) as caught:
            call()
        assert caught.value.message == (
            "automatic tags are kept by the scoring run and cannot be changed"
        )
    Tag.objects.filter(name="x").delete()
    assert _state() == before
    # An import naming it is refused too, before anything is written.
    with pytest.raises(ValidationFailed) as caught:
        customer_tags_bulk_add(links=[(own.pk, "VIP"), (own.pk, auto.name)])
    assert (
        caught.value.message == "automatic tags are set by the scoring run, not by hand"
    )
    assert _state() == before


def test_the_customer_api_field_sets_manual_tags_only(
    own: Any, users: dict[str, Any]
) -> None:
    auto = Tag.objects.create(name="情感·粉丝", kind="automatic", key="emotion:fan")
    CustomerTag.objects.create(customer=own, tag=auto, source="automatic")
    customer_tags_bulk_add(links=[(own.pk, "老客户")])
    customer_update(actor=users["admin"], customer=own, tags=["VIP"])
    links = {
        link.tag.name: (link.source, link.added_by_id)
        for link in CustomerTag.objects.filter(customer=own).select_related("tag")
    }
    assert links == {
        "情感·粉丝": ("automatic", None),
        "VIP": ("manual", users["admin"].pk),
    }


# --- managing tags -----------------------------------------------------------


def test_rename_colour_merge_and_delete(
    own: Any, foreign: Any, users: dict[str, Any]
) -> None:
    admin = users["admin"]
    customer_tag_add(actor=admin, customer=own, name="贵宾")
    customer_tag_add(actor=admin, customer=own, name="VIP")
    customer_tag_add(actor=admin, customer=foreign, name="VIP")
    vip = Tag.objects.get(name="VIP")
    tag_update(actor=users["operations"], tag=vip, name="VIP客户", color="red")
    vip.refresh_from_db()
    assert (vip.name, vip.color) == ("VIP客户", "red")
    merged = tag_merge(actor=admin, tag=Tag.objects.get(name="贵宾"), into=vip)
    assert merged.customer_count == 2
    assert not Tag.objects.filter(name="贵宾").exists()
    assert set(CustomerTag.objects.values_list("customer_id", "tag__name")) == {
        (own.pk, "VIP客户"),
        (foreign.pk, "VIP客户"),
    }
    assert tag_delete(actor=admin, tag=vip) == 2
    assert not CustomerTag.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "茶会"}, "another tag has this name"),
        ({"name": ""}, "a tag needs a name"),
        ({"name": "x" * 65}, "too long (at most 64 characters)"),
        (
            {"color": "pink"},
            "not a valid colour (expected one of: red, orange, "
            "amber, green, teal, blue, violet, gray)",
        ),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(
    change: dict[str, Any], message: str, users: dict[str, Any]
) -> None:
    admin = users["admin"]
    tag = tag_create(actor=admin, name="VIP")
    tag_create(actor=admin, name="茶会")
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        tag_update(actor=admin, tag=tag, **change)
    assert caught.value.message == message
    assert _state() == before


def test_only_admins_and_operations_manage_tags(users: dict[str, Any]) -> None:
    tag = tag_create(actor=users["admin"], name="VIP")
    before = _state()
    for role in ("service", "account_manager", "analyst"):
        with pytest.raises(PermissionDenied) as caught:
            tag_update(actor=users[role], tag=tag, name="x")
        assert caught.value.message == "your role may not manage tags"
        with pytest.raises(PermissionDenied):
            tag_delete(actor=users[role], tag=tag)
    assert _state() == before


def test_a_tag_cannot_be_merged_into_itself(users: dict[str, Any]) -> None:
    tag = tag_create(actor=users["admin"], name="VIP")
    with pytest.raises(ValidationFailed) as caught:
        tag_merge(actor=users["admin"], tag=tag, into=tag)
    assert caught.value.message == "a tag cannot be merged into itself"
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_an_import_naming_an_automatic_tag_reports_the_row_and_writes_nothing(
    tmp_path: Any, db: Any
) -> None:
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from guanxi.customers.models import Customer

    Tag.objects.create(name="生命周期·新客户", kind="automatic", key="stage:new")
    upload = tmp_path / "customers.csv"
    upload.write_text(
        "手机号,姓名,标签\n13800138000,张伟,VIP\n13900139000,李娜,VIP;生命周期·新客户\n",
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "customers", str(upload), stdout=out, stderr=err)
    assert err.getvalue() == (
        'line 3, column "标签": automatic tags are set by the scoring run, '
        "not by hand\n"
    )
    assert not Customer.objects.exists()
    assert not CustomerTag.objects.exists()
