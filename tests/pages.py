"""Fixtures for the page tests of every app: the access world and logged-in clients.

An app whose tests request its pages imports them in its ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tests.access import World, build_world, make_client


@pytest.fixture(autouse=True)
def _clean_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture
def client_for(world: World) -> Callable[..., Client]:
    """A client logged in as ``role`` (a key of ``world.users``), English unless told."""

    def make(role: str, language: str = "en") -> Client:
        client: Client = make_client(headers={"Accept-Language": language})
        user = world.users.get(role) if role != "other_manager" else world.other_manager
        if user is not None:
            client.force_login(user)
        return client

    return make
