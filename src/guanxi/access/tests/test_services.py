"""Staff users and their roles, written through the access services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError

from guanxi.access.choices import Role
from guanxi.access.models import StaffProfile
from guanxi.access.policies import policy_for
from guanxi.access.services import staff_role_set, staff_user_create

pytestmark = pytest.mark.django_db


def test_staff_user_create_gives_the_role_and_nothing_more() -> None:
    user = staff_user_create(
        username="li",
        password="s3cret-pass!",
        role=Role.ANALYST,
        email="li@example.com",
        first_name="Lei",
    )
    stored = get_user_model().objects.get(pk=user.pk)
    assert (stored.username, stored.email, stored.first_name) == (
        "li",
        "li@example.com",
        "Lei",
    )
    assert stored.check_password("s3cret-pass!")
    assert (stored.is_staff, stored.is_superuser) == (False, False)
    assert StaffProfile.objects.get(user=stored).role == Role.ANALYST
    assert policy_for(stored).role is Role.ANALYST


def test_only_admins_reach_the_django_admin() -> None:
    admin = staff_user_create(username="boss", password="s3cret-pass!", role=Role.ADMIN)
    assert (admin.is_staff, admin.is_superuser) == (True, False)


def test_a_taken_username_leaves_nothing_behind() -> None:
    staff_user_create(username="li", password="s3cret-pass!", role=Role.SERVICE)
    with pytest.raises(IntegrityError):
        staff_user_create(username="li", password="other-pass!", role=Role.ADMIN)
    assert get_user_model().objects.count() == 1
    assert list(StaffProfile.objects.values_list("role", flat=True)) == ["service"]


def test_staff_role_set_changes_the_role_and_the_admin_flag(users: Any) -> None:
    manager = users["account_manager"]
    staff_role_set(user=manager, role=Role.ADMIN)
    stored = get_user_model().objects.get(pk=manager.pk)
    assert stored.is_staff is True
    assert policy_for(stored).role is Role.ADMIN
    staff_role_set(user=stored, role=Role.OPERATIONS)
    stored = get_user_model().objects.get(pk=manager.pk)
    assert stored.is_staff is False
    assert policy_for(stored).role is Role.OPERATIONS
    assert StaffProfile.objects.filter(user=stored).count() == 1


def test_staff_role_set_gives_a_user_without_a_profile_one(db: Any) -> None:
    user = get_user_model().objects.create_user(username="new")
    assert policy_for(user).active is False
    staff_role_set(user=user, role=Role.SERVICE)
    stored = get_user_model().objects.get(pk=user.pk)
    assert policy_for(stored).role is Role.SERVICE
