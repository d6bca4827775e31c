"""Pinned query counts of the customer pages and API endpoints (as NetBox pins
its views'), for an admin and an account manager.

The world holds five more customers per account manager, each with two tags, two
orders and an interaction, so a query made per row (a missing ``select_related``
or ``prefetch_related``) changes these numbers and fails here. Every page starts
with three queries: session, user, role; every API call with two: token with its
user, role.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.access import World

ROLES = ("admin", "account_manager")


@pytest.mark.parametrize("role", ROLES)
def test_customer_list_page(
    role: str, crowded_world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(role)
    # + count, page, tags of the page, tags for the filter, the user's saved
    # views, and for roles that see everyone the account managers to filter by
    with django_assert_num_queries(8 + (role == "admin")):
        html = client.get("/customers/").content.decode()
    shown = {"admin": "12 results", "account_manager": "6 results"}[role]
    assert shown in html


@pytest.mark.parametrize("role", ROLES)
def test_customer_detail_page(
    role: str, crowded_world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(role)
    url = f"/customers/{crowded_world.own_customer.pk}/"
    # + customer, its tags, its manager, orders, interactions, latest run,
    # stage changes (before the first run: no snapshot to read), the tag
    # panel's links with who set them (tags.templatetags.tag_panel), the
    # customer's recorded changes, messages and their events, and for roles
    # that assign the account managers to choose from, and the view's audit
    # event; the customer's coupons (their card, their timeline) and the
    # suggested products (one query each); the journeys' enrolments and steps
    # on the timeline (two)
    with django_assert_num_queries(20 + (role == "admin")):
        html = client.get(url).content.decode()
    assert html.count('<span class="when">') == 2


@pytest.mark.parametrize("role", ROLES)
def test_customer_detail_page_with_scores(
    role: str, crowded_world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    """Thirty-six runs of history, stage changes and score changes on the
    timeline: still one query each for runs, snapshots, stage changes and the
    playbook."""
    import datetime as dt

    from guanxi.insights.tests.factories import (
        make_run,
        make_snapshot,
        make_stage_change,
    )

    customer = crowded_world.own_customer
    day = dt.date(2026, 11, 30)
    for i in range(40):
        as_of = day - dt.timedelta(days=30 * i)
        make_run(as_of)
        make_snapshot(
            customer,
            as_of,
            quadrant=("star", "basic")[i % 2],
            stage=("mature", "at_risk")[i % 2],
        )
        make_stage_change(customer, as_of, ("mature", "at_risk")[i % 2])
    client = client_for(role)
    url = f"/customers/{customer.pk}/"
    # + customer, its tags, its manager, orders, interactions, latest run,
    # snapshots, stage changes, playbook, the tag panel's links with who set
    # them (tags.templatetags.tag_panel), recorded changes, messages and
    # their events, and for roles that assign the account managers to choose
    # from, and the view's audit event
    # + 3: the coupons card, the coupons on the timeline, the suggestions;
    # + 2: the journeys' enrolments and steps on the timeline.
    with django_assert_num_queries(22 + (role == "admin")):
        html = client.get(url).content.decode()
    assert html.count('<li class="event-') == 20  # one page
    assert html.count('class="event-stage"') == 9
    assert 'id="timeline-more"' in html
    assert "Brand ambassador" in html  # mature star


@pytest.mark.parametrize("role", ROLES)
def test_customer_list_endpoint(
    role: str,
    crowded_world: World,
    api_client_for: Any,
    django_assert_num_queries: Any,
) -> None:
    client = api_client_for(role)
    # + page, tags of the page (cursor pages: no count of all rows)
    with django_assert_num_queries(4):
        body = client.get("/api/v1/customers/").json()
    assert len(body["results"]) == {"admin": 12, "account_manager": 6}[role]
    assert all(row["tags"] for row in body["results"])


@pytest.mark.parametrize("role", ROLES)
def test_customer_detail_endpoint(
    role: str,
    crowded_world: World,
    api_client_for: Any,
    django_assert_num_queries: Any,
) -> None:
    client = api_client_for(role)
    url = f"/api/v1/customers/{crowded_world.own_customer.pk}/"
    # + customer, its tags, the view's audit event
    with django_assert_num_queries(5):
        body = client.get(url).json()
    assert body["name"] == "王芳"
