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


def add_customers(world: World, *, per_manager: int) -> None:
    """``per_manager`` more customers for each of the world's two account managers,
    each with two tags, two orders of two lines and an interaction: enough rows
    that a query made per row shows in a pinned query count."""
    import datetime as dt
    from decimal import Decimal

    from guanxi.commerce.models import Order, OrderLine, Product
    from guanxi.customers.choices import InteractionKind
    from guanxi.customers.models import Customer, Interaction, Tag
    from guanxi.customers.services import customer_apply_contact

    tags = [Tag.objects.get_or_create(name=name)[0] for name in ("VIP", "复购")]
    product = Product.objects.get(sku="TEA-001")
    when = dt.datetime(2026, 9, 1, 10, 0, tzinfo=dt.UTC)
    for manager in (world.users["account_manager"], world.other_manager):
        for i in range(per_manager):
            customer = Customer(
                name=f"客户{manager.pk}-{i}",
                phone=f"+86137{manager.pk:02d}{i:06d}",
                city="苏州",
                assigned_manager=manager,
                first_seen_at=when,
            )
            customer_apply_contact(customer)
            customer.save()
            customer.tags.add(*tags)
            for k in range(2):
                order = Order.objects.create(
                    source="pos",
                    external_id=f"X-{manager.pk}-{i}-{k}",
                    customer=customer,
                    ordered_at=when + dt.timedelta(days=i, hours=k),
                    amount=Decimal("20.00"),
                )
                for _line in range(2):
                    OrderLine.objects.create(
                        order=order,
                        product=product,
                        quantity=1,
                        unit_price=Decimal("10.00"),
                        amount=Decimal("10.00"),
                    )
            Interaction.objects.create(
                customer=customer, kind=InteractionKind.CALL, occurred_at=when
            )


@pytest.fixture
def crowded_world(world: World) -> World:
    """The access world with five more customers per account manager."""
    add_customers(world, per_manager=5)
    return world


@pytest.fixture
def api_client_for(world: World) -> Callable[..., Client]:
    """A client sending ``role``'s API token, English unless told."""
    from guanxi.access.tests.factories import api_token_for

    def make(role: str, language: str = "en") -> Client:
        token_key = api_token_for(world.users[role])
        client: Client = make_client(
            headers={"Accept-Language": language, "Authorization": f"Token {token_key}"}
        )
        return client

    return make
