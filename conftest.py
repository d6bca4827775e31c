"""Shared fixtures: one user per role and a way to make customers."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from tests.keyfiles import keyfile  # noqa: F401 (the key file of the key tests)

from guanxi.access.choices import Role

_phones = itertools.count(13800000001)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Real hashing costs ~0.3 s a user; tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Any:
    """Rate-limit counters live in Django's cache: each test starts at zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db: Any):  # type: ignore[no-untyped-def]
    from guanxi.access.services import staff_user_create

    def make(role: Role, username: str | None = None) -> Any:
        return staff_user_create(
            username=username or f"{role.value}-{next(_phones)}",
            password="guanxi-test-pass",
            role=role,
        )

    return make


@pytest.fixture
def users(make_user: Any) -> dict[str, Any]:
    """One user per role, plus a second account manager."""
    made = {role.value: make_user(role, username=role.value) for role in Role}
    made["other_manager"] = make_user(Role.ACCOUNT_MANAGER, username="other_manager")
    return made


@pytest.fixture
def make_customer(db: Any):  # type: ignore[no-untyped-def]
    from guanxi.customers.models import Customer
    from guanxi.customers.services import customer_apply_contact

    def make(**values: Any) -> Customer:
        values.setdefault("name", "张伟")
        values.setdefault("phone", f"+86{next(_phones)}")
        customer = Customer(**values)
        customer_apply_contact(customer)
        customer.save()
        return customer

    return make


@pytest.fixture
def api(users: dict[str, Any]) -> Any:
    """``api(role)``: a REST client authenticated with that user's token, in English."""
    from rest_framework.test import APIClient

    from guanxi.access.tests.factories import api_token_for

    def client(role: str) -> APIClient:
        token_key = api_token_for(users[role])
        c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        c.credentials(HTTP_AUTHORIZATION=f"Token {token_key}")
        return c

    return client


@pytest.fixture
def huey_immediate() -> Any:
    """Tasks run where they are queued (after commit), as the worker would run
    them (an app's conftest may define its own)."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = was
