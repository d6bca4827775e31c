"""The scores API: scope, pseudonyms, history, filters and errors."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.customers.models import Customer
from guanxi.insights.models import ScoreSnapshot
from guanxi.insights.services import score_run
from guanxi.insights.tests.conftest import AS_OF

pytestmark = pytest.mark.usefixtures("fixed_today")


def _all(client: Any, url: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        rows += body["results"]
        url = body["next"]
    return rows


def test_before_the_first_run_the_lists_are_empty(
    demo_data: dict[str, Any], api: Any
) -> None:
    assert api("admin").get("/api/v1/scores/").json()["results"] == []
    customer = Customer.objects.order_by("id").first()
    assert customer is not None
    answer = api("admin").get(f"/api/v1/customers/{customer.pk}/scores/").json()
    assert answer == {"customer": str(customer.pk), "current": None, "history": []}


def test_scores_in_scope_with_pseudonyms_for_analysts(
    demo_data: dict[str, Any], api: Any
) -> None:
    score_run(as_of=AS_OF)
    admin_rows = _all(api("admin"), "/api/v1/scores/")
    assert len(admin_rows) == 300
    assert [r["customer"] for r in admin_rows] == sorted(
        (r["customer"] for r in admin_rows), key=int
    )
    manager = demo_data["users"]["account_manager"]
    own = {
        str(pk)
        for pk in Customer.objects.filter(assigned_manager=manager).values_list(
            "id", flat=True
        )
    }
    assert {
        r["customer"] for r in _all(api("account_manager"), "/api/v1/scores/")
    } == own
    analyst_rows = _all(api("analyst"), "/api/v1/scores/")
    assert len(analyst_rows) == 300
    assert not any(r["customer"].isdigit() for r in analyst_rows)
    first = admin_rows[0]
    assert set(first) >= {
        "quadrant",
        "stage",
        "emotion",
        "p_alive",
        "churn_risk",
        "as_of",
    }
    assert first["as_of"] == "2026-11-30"


def test_filters_narrow_and_bad_values_are_refused(
    demo_data: dict[str, Any], api: Any
) -> None:
    score_run(as_of=AS_OF)
    stars = _all(api("admin"), "/api/v1/scores/?quadrant=star")
    assert stars and all(r["quadrant"] == "star" for r in stars)
    assert len(stars) == ScoreSnapshot.objects.filter(quadrant="star").count()
    risky = _all(api("admin"), "/api/v1/scores/?churn_risk_min=0.5")
    assert all(r["churn_risk"] >= 0.5 for r in risky)
    bad = api("admin").get("/api/v1/scores/?quadrant=gold")
    assert bad.status_code == 400
    assert "gold" in str(bad.json())
    assert api("admin").get("/api/v1/scores/?churn_risk_min=2").status_code == 400
    forged = api("admin").get("/api/v1/scores/?cursor=cD1hYmM%3D")  # p=abc
    assert forged.status_code == 400
    assert forged.json() == {"cursor": ["not a valid cursor"]}


def test_one_customers_scores_and_history(demo_data: dict[str, Any], api: Any) -> None:
    import datetime as dt

    score_run(as_of=AS_OF - dt.timedelta(days=30))
    score_run(as_of=AS_OF)
    manager = demo_data["users"]["account_manager"]
    own = Customer.objects.filter(assigned_manager=manager).order_by("id").first()
    other = Customer.objects.exclude(assigned_manager=manager).order_by("id").first()
    assert own is not None and other is not None
    answer = api("account_manager").get(f"/api/v1/customers/{own.pk}/scores/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["current"]["as_of"] == "2026-11-30"
    assert [h["as_of"] for h in body["history"]] == ["2026-11-30", "2026-10-31"]
    # Outside scope, or known by pseudonym only: as if it did not exist.
    assert (
        api("account_manager").get(f"/api/v1/customers/{other.pk}/scores/").status_code
        == 404
    )
    assert api("analyst").get(f"/api/v1/customers/{own.pk}/scores/").status_code == 404
    assert api("admin").get("/api/v1/customers/0.5/scores/").status_code == 404


def test_runs_are_listed_for_administrators_only(
    demo_data: dict[str, Any], api: Any
) -> None:
    score_run(as_of=AS_OF)
    runs = api("admin").get("/api/v1/scores/runs/")
    assert runs.status_code == 200
    assert [r["as_of"] for r in runs.json()] == ["2026-11-30"]
    assert runs.json()[0]["summary"]["customers"] == 300
    answer = api("operations").get("/api/v1/scores/runs/")
    assert answer.status_code == 403
    assert answer.json() == {"detail": "Only administrators may do this."}
