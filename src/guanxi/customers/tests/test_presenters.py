"""What each role sees of one customer: the card, the id and the phone, exactly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from guanxi.access import policies
from guanxi.access.choices import Role
from guanxi.core.crypto import pseudonym
from guanxi.customers.models import Customer, Tag
from guanxi.customers.presenters import customer_card, customer_phone, customer_ref

pytestmark = pytest.mark.django_db
FIRST_SEEN = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def wang(users: dict[str, Any], make_customer: Any) -> Customer:
    customer = make_customer(
        name="王芳",
        phone="+8613800138000",
        email="wang.fang@example.com",
        address="杭州市西湖区龙井路 1 号",
        birthday=dt.date(1990, 5, 17),
        birth_year=1990,
        gender="female",
        city="杭州",
        preferred_channel="wechat",
        assigned_manager=users["account_manager"],
        first_seen_at=FIRST_SEEN,
    )
    customer.tags.add(Tag.objects.create(name="VIP"))
    assert isinstance(customer, Customer)
    return customer


def _card(customer: Customer, role: Role | None) -> dict[str, Any]:
    return customer_card(customer, policy=policies._POLICIES[role])


def _shared(ref: str) -> dict[str, Any]:
    return {
        "id": ref,
        "city": "杭州",
        "gender": "female",
        "birth_year": 1990,
        "preferred_channel": "wechat",
        "tags": ["VIP"],
        "first_seen_at": FIRST_SEEN,
    }


def test_full_contact_roles_see_everything(wang: Customer, users: Any) -> None:
    expected = {
        **_shared(str(wang.pk)),
        "pk": wang.pk,
        "name": "王芳",
        "assigned_manager": users["account_manager"].pk,
        "language": "",
        "time_zone": "",
        "phone": "+8613800138000",
        "email": "wang.fang@example.com",
        "address": "杭州市西湖区龙井路 1 号",
        "birthday": dt.date(1990, 5, 17),
    }
    for role in (Role.ADMIN, Role.SERVICE, Role.ACCOUNT_MANAGER):
        assert _card(wang, role) == expected, role


def test_operations_see_names_and_masked_contact_fields(
    wang: Customer, users: Any
) -> None:
    assert _card(wang, Role.OPERATIONS) == {
        **_shared(str(wang.pk)),
        "pk": wang.pk,
        "name": "王芳",
        "assigned_manager": users["account_manager"].pk,
        "language": "",
        "time_zone": "",
        "phone": "138****8000",
        "email": "w***@example.com",
        "address": "杭州市西湖区****",
        "birthday": None,
    }


def test_pseudonymous_roles_see_no_personal_field_at_all(wang: Customer) -> None:
    for role in (Role.ANALYST, None):
        assert _card(wang, role) == _shared(pseudonym(wang.pk)), role


def test_customer_ref_and_phone_per_role(wang: Customer) -> None:
    refs = {role: customer_ref(wang.pk, policy=p) for role, p in _all().items()}
    phones = {
        role: customer_phone("+8613800138000", policy=p) for role, p in _all().items()
    }
    number, alias = str(wang.pk), pseudonym(wang.pk)
    assert alias.startswith("p_") and alias != number
    assert refs == {
        "admin": number,
        "operations": number,
        "service": number,
        "account_manager": number,
        "analyst": alias,
        "no role": alias,
    }
    assert phones == {
        "admin": "+8613800138000",
        "operations": "138****8000",
        "service": "+8613800138000",
        "account_manager": "+8613800138000",
        "analyst": "",
        "no role": "",
    }
    assert customer_phone(None, policy=policies._POLICIES[Role.ADMIN]) == ""
    assert customer_phone(None, policy=policies._POLICIES[Role.OPERATIONS]) == ""


def _all() -> dict[str, policies.Policy]:
    return {
        (role.value if role is not None else "no role"): policy
        for role, policy in policies._POLICIES.items()
    }
