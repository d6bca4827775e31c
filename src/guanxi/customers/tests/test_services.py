"""Customer writes called directly, for what their callers do not show: the role
and scope rules of each write, and tags."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.customers.models import Customer, Interaction, Tag
from guanxi.customers.services import (
    customer_create,
    customer_update,
    interaction_create,
    tags_ensure,
)

pytestmark = pytest.mark.django_db
WHEN = "2026-10-02 10:00"


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def test_tags_ensure_creates_only_the_missing_tags_in_the_order_given(
    db: Any,
) -> None:
    vip = Tag.objects.create(name="VIP")
    tags = tags_ensure(names=[" 复购 ", "VIP", "", "复购", "  "])
    assert [t.name for t in tags] == ["复购", "VIP"]
    assert tags[1] == vip
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["VIP", "复购"]
    assert tags_ensure(names=[]) == []


def test_a_customer_an_account_manager_creates_is_theirs(users: Any) -> None:
    manager = users["account_manager"]
    customer = customer_create(actor=manager, name="新客户", phone="13700137000")
    assert customer.assigned_manager == manager
    assert customer.phone == "+8613700137000"
    by_admin = customer_create(actor=users["admin"], name="另一位")
    assert by_admin.assigned_manager is None


def test_roles_that_may_not_edit_are_refused_before_anything_is_written(
    users: Any, make_customer: Any
) -> None:
    customer = make_customer(name="王芳")
    for role in ("analyst", "no_role"):
        actor = users.get(role)
        with pytest.raises(PermissionDenied) as caught:
            customer_create(actor=actor, name="新客户")
        assert caught.value.message == "your role may not create customers"
        with pytest.raises(PermissionDenied) as caught:
            customer_update(actor=actor, customer=customer, city="上海")
        assert caught.value.message == "your role may not edit customers"
    assert Customer.objects.count() == 1
    assert Customer.objects.get().city == ""


def test_only_admins_and_operations_assign_account_managers(
    users: Any, make_customer: Any
) -> None:
    customer = make_customer(name="王芳")
    target = users["other_manager"]
    for role in ("service", "account_manager"):
        with pytest.raises(PermissionDenied) as caught:
            customer_update(
                actor=users[role], customer=customer, assigned_manager=target.pk
            )
        assert caught.value.message == "your role may not assign account managers"
    assert Customer.objects.get().assigned_manager is None
    customer_update(actor=users["admin"], customer=customer, assigned_manager=target.pk)
    assert Customer.objects.get().assigned_manager == target
    customer_update(actor=users["operations"], customer=customer, assigned_manager=None)
    assert Customer.objects.get().assigned_manager is None


def test_interactions_only_for_customers_in_scope(
    users: Any, make_customer: Any
) -> None:
    manager = users["account_manager"]
    own = make_customer(name="王芳", assigned_manager=manager)
    foreign = make_customer(name="李雷", assigned_manager=users["other_manager"])
    interaction, created = interaction_create(
        actor=manager, customer=own.pk, kind="call", occurred_at=WHEN
    )
    assert created is True
    assert interaction.customer == own
    assert interaction.occurred_at == dt.datetime(2026, 10, 2, 2, 0, tzinfo=dt.UTC)
    for customer in (foreign, foreign.pk, str(foreign.pk), "999999", None, True):
        with pytest.raises(ValidationFailed) as caught:
            interaction_create(
                actor=manager, customer=customer, kind="call", occurred_at=WHEN
            )
        assert (caught.value.field, caught.value.message) == (
            "customer",
            "unknown customer",
        )
    assert list(Interaction.objects.values_list("customer_id", flat=True)) == [own.pk]


def test_an_interaction_id_of_a_customer_out_of_scope_is_taken_not_shown(
    users: Any, make_customer: Any
) -> None:
    manager = users["account_manager"]
    own = make_customer(name="王芳", assigned_manager=manager)
    foreign = make_customer(name="李雷", assigned_manager=users["other_manager"])
    stored, _ = interaction_create(
        actor=users["admin"],
        customer=foreign,
        kind="visit",
        occurred_at=WHEN,
        source="wecom",
        external_id="W-1",
    )
    again, created = interaction_create(
        actor=users["admin"],
        customer=foreign,
        kind="visit",
        occurred_at=WHEN,
        source="wecom",
        external_id="W-1",
    )
    assert (again, created) == (stored, False)
    with pytest.raises(ValidationFailed) as caught:
        interaction_create(
            actor=manager,
            customer=own,
            kind="visit",
            occurred_at=WHEN,
            source="wecom",
            external_id="W-1",
        )
    assert (caught.value.field, caught.value.message) == (
        "external_id",
        "this interaction id is already taken",
    )
    assert Interaction.objects.count() == 1


def test_roles_that_may_not_edit_record_no_interactions(
    users: Any, make_customer: Any
) -> None:
    customer = make_customer(name="王芳")
    with pytest.raises(PermissionDenied) as caught:
        interaction_create(
            actor=users["analyst"], customer=customer, kind="call", occurred_at=WHEN
        )
    assert caught.value.message == "your role may not record interactions"
    assert Interaction.objects.count() == 0
