"""Pinned query counts of the order pages and API endpoints (as NetBox pins its
views'), for an admin and an account manager.

The world holds five more customers per account manager with two orders of two
lines each, so a query made per row (a missing ``select_related`` or
``prefetch_related``) changes these numbers and fails here. Every page starts
with three queries: session, user, role; every API call with two: token with its
user, role.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.access import World

ROLES = ("admin", "account_manager")


@pytest.mark.parametrize("role", ROLES)
def test_order_list_page(
    role: str, crowded_world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(role)
    # + count, page with the customers, the summary (count and totals of
    # the filtered orders: fewer than the pager counts) and the stores
    with django_assert_num_queries(7):
        html = client.get("/orders/").content.decode()
    shown = {"admin": "22 results", "account_manager": "11 results"}[role]
    assert shown in html


@pytest.mark.parametrize("role", ROLES)
def test_order_detail_page(
    role: str, crowded_world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(role)
    url = f"/orders/{crowded_world.own_order.pk}/"
    # + order with its customer, lines, products
    with django_assert_num_queries(6):
        html = client.get(url).content.decode()
    assert "王芳" in html
    assert "TEA-001" in html


@pytest.mark.parametrize("role", ROLES)
def test_order_list_endpoint(
    role: str,
    crowded_world: World,
    api_client_for: Any,
    django_assert_num_queries: Any,
) -> None:
    client = api_client_for(role)
    # + page, lines, products (cursor pages: no count of all rows)
    with django_assert_num_queries(5):
        body = client.get("/api/v1/orders/").json()
    assert len(body["results"]) == {"admin": 22, "account_manager": 11}[role]
    assert all(row["lines"] for row in body["results"])


@pytest.mark.parametrize("role", ROLES)
def test_order_detail_endpoint(
    role: str,
    crowded_world: World,
    api_client_for: Any,
    django_assert_num_queries: Any,
) -> None:
    client = api_client_for(role)
    url = f"/api/v1/orders/{crowded_world.own_order.pk}/"
    # + order, lines, products
    with django_assert_num_queries(5):
        body = client.get(url).json()
    assert body["external_id"] == "A-1001"
