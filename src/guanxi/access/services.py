"""Writes for staff users and their roles."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from guanxi.access.choices import Role
from guanxi.access.models import StaffProfile

__all__ = ["staff_role_set", "staff_user_create"]


@transaction.atomic
def staff_user_create(
    *, username: str, password: str, role: Role, email: str = "", first_name: str = ""
) -> Any:
    User = get_user_model()
    user = User.objects.create_user(
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        is_staff=role == Role.ADMIN,
        is_superuser=False,
    )
    StaffProfile.objects.create(user=user, role=role)
    return user


@transaction.atomic
def staff_role_set(*, user: Any, role: Role) -> StaffProfile:
    profile, _ = StaffProfile.objects.update_or_create(
        user=user, defaults={"role": role}
    )
    user.is_staff = role == Role.ADMIN
    user.save(update_fields=["is_staff"])
    return profile
