"""Pinned query counts of the scores endpoints and the runs page (a query per
row, e.g. a customer looked up per score, fails here)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.access import World

from guanxi.customers.models import Customer
from guanxi.insights.models import ScoreRun, ScoreSnapshot

ROLES = ("admin", "account_manager")


@pytest.fixture
def scored_world(crowded_world: World) -> World:
    for day in ("2026-10-31", "2026-11-30"):
        ScoreRun.objects.create(as_of=day, status="done", customers=12)
        ScoreSnapshot.objects.bulk_create(
            ScoreSnapshot(
                customer=customer,
                as_of=day,
                quadrant="star",
                stage="mature",
                emotion="fan",
                churn_reasons=[{"feature": "T", "value": 1.0, "effect": 0.1}],
            )
            for customer in Customer.objects.all()
        )
    return crowded_world


@pytest.mark.parametrize("role", ROLES)
def test_score_list_endpoint(
    role: str, scored_world: World, api_client_for: Any, django_assert_num_queries: Any
) -> None:
    client = api_client_for(role)
    # + the latest run, the page
    with django_assert_num_queries(4):
        body = client.get("/api/v1/scores/").json()
    assert len(body["results"]) == {"admin": 12, "account_manager": 6}[role]


@pytest.mark.parametrize("role", ROLES)
def test_customer_scores_endpoint(
    role: str, scored_world: World, api_client_for: Any, django_assert_num_queries: Any
) -> None:
    client = api_client_for(role)
    url = f"/api/v1/customers/{scored_world.own_customer.pk}/scores/"
    # + customer, its tags, the latest run, the snapshots (latest first)
    with django_assert_num_queries(6):
        body = client.get(url).json()
    assert len(body["history"]) == 2


def test_runs_page(
    scored_world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for("admin")
    # + runs with who started them
    with django_assert_num_queries(4):
        html = client.get("/insights/runs/").content.decode()
    assert html.count('data-status="done"') == 2
