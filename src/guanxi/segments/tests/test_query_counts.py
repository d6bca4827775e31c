"""Pinned query counts of the segment pages and endpoints (see the customers'
``test_query_counts``): the crowded world has five more customers per account
manager, each with two tags, all scored; a query made per member or per
segment changes these numbers. Pages start with three queries (session, user,
role), API calls with two (token with its user, role)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from tests.access import World

from guanxi.customers.models import Customer
from guanxi.segments.models import Segment
from guanxi.segments.services import segment_counts_record
from guanxi.segments.tests.factories import AS_OF, scored_run, snapshot

ROLES = ("admin", "account_manager")


@pytest.fixture
def scored_world(crowded_world: World) -> World:
    scored_run(AS_OF)
    for customer in Customer.objects.all():
        snapshot(customer, quadrant="star")
    segment_counts_record(as_of=AS_OF)  # what the run's receiver does
    return crowded_world


def _stars() -> Segment:
    return Segment.objects.get(name="明星客户 Star")


@pytest.mark.parametrize("role", ROLES)
def test_segment_list_page(
    role: str, scored_world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(role)
    # + segments, latest run; admin: the counts recorded at that run (one
    # query); account manager: each of the 7 segments counted in their scope,
    # and the customers in it once
    queries = {"admin": 6, "account_manager": 13}[role]
    with django_assert_num_queries(queries):
        html = client.get(reverse("segments:segment-list")).content.decode()
    assert "明星客户 Star" in html


@pytest.mark.parametrize("role", ROLES)
def test_segment_detail_page(
    role: str, scored_world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(role)
    url = reverse("segments:segment-detail", args=[_stars().pk])
    # + segment, latest run, count, page, tags of the page, customers in
    # scope, tags and managers (the rules in words); the share over time:
    # admin the recorded counts, account manager the runs and a count per run
    queries = {"admin": 12, "account_manager": 13}[role]
    with django_assert_num_queries(queries):
        html = client.get(url).content.decode()
    shown = {"admin": "12 results", "account_manager": "6 results"}[role]
    assert shown in html


def test_builder_preview(
    scored_world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    data = {
        "node": ["r", "r.0"],
        "r.kind": "all",
        "r.0.kind": "rule",
        "r.0.field": "quadrant",
        "r.0.was": "quadrant",
        "r.0.op": "eq",
        "r.0.opwas": "eq",
        "r.0.value": "star",
    }
    client = client_for("admin")
    # + latest run, count, first members, their tags, customers in scope
    with django_assert_num_queries(8):
        html = client.post(reverse("segments:segment-preview"), data).content.decode()
    assert 'id="live-count">12<' in html


@pytest.mark.parametrize("role", ROLES)
def test_members_endpoint(
    role: str,
    scored_world: World,
    api_client_for: Any,
    django_assert_num_queries: Any,
) -> None:
    client = api_client_for(role)
    url = f"/api/v1/segments/{_stars().pk}/members/"  # (read before counting)
    # + segment, latest run, page, tags of the page
    with django_assert_num_queries(6):
        body = client.get(url).json()
    assert len(body["results"]) == {"admin": 12, "account_manager": 6}[role]
    assert all(row["tags"] for row in body["results"])


def test_count_endpoint(
    scored_world: World, api_client_for: Any, django_assert_num_queries: Any
) -> None:
    client = api_client_for("account_manager")
    url = f"/api/v1/segments/{_stars().pk}/count/"
    # + segment, latest run, count, customers in scope
    with django_assert_num_queries(6):
        body = client.get(url).json()
    assert (body["count"], body["customers"]) == (6, 6)
