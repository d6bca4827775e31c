"""The care API: lists scoped like the inbox, closing with exact messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from guanxi.care.models import CareTask
from guanxi.care.services import warnings_evaluate
from guanxi.customers.models import Interaction
from guanxi.insights.tests.factories import make_run, make_snapshot

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


@pytest.fixture
def task(make_customer: Any, users: dict[str, Any]) -> CareTask:
    customer = make_customer(assigned_manager=users["account_manager"])
    make_snapshot(customer, DAY, days_since_last_purchase=30)
    other = make_customer(assigned_manager=users["other_manager"])
    make_snapshot(other, DAY, days_since_last_purchase=31)
    make_run(DAY)
    warnings_evaluate(as_of=DAY)
    return CareTask.objects.get(customer=customer)


def test_lists_are_scoped(task: CareTask, api: Any) -> None:
    with translation.override("en"):
        mine = api("account_manager").get("/api/v1/care/tasks/").json()["results"]
        team = api("service").get("/api/v1/care/tasks/?status=open").json()["results"]
        warnings = (
            api("account_manager").get("/api/v1/care/warnings/").json()["results"]
        )
    assert [row["id"] for row in mine] == [task.pk]
    assert mine[0]["customer"] == str(task.customer_id)
    assert mine[0]["reasons"] == ["No purchase for 30 days."]
    assert len(team) == 2
    assert [row["customer"] for row in warnings] == [str(task.customer_id)]
    assert api("analyst").get("/api/v1/care/tasks/").status_code == 403


def test_close(task: CareTask, api: Any) -> None:
    client = api("account_manager")
    with translation.override("en"):
        bad = client.post(
            f"/api/v1/care/tasks/{task.pk}/close/",
            {"outcome": "maybe", "leave_reason": "weather"},
            format="json",
        )
    assert bad.status_code == 400
    assert bad.json() == {
        "outcome": ["Choose an outcome: reached or not reached."],
        "leave_reason": [
            "Unknown reason for leaving: choose price, service, product, "
            "competitor, moved or other."
        ],
    }
    assert CareTask.objects.get(pk=task.pk).status == "open"
    done = client.post(
        f"/api/v1/care/tasks/{task.pk}/close/",
        {"outcome": "reached", "remedy_offered": "coupon", "note": "ok"},
        format="json",
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["outcome"]) == ("done", "reached")
    assert (
        Interaction.objects.filter(customer=task.customer, source="care").count() == 1
    )
    other = api("other_manager").post(
        f"/api/v1/care/tasks/{task.pk}/close/", {"outcome": "reached"}, format="json"
    )
    assert other.status_code == 404
