"""The ticket report: replies and solutions against their clocks, breaches,
by category and person, over the customers in scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from guanxi.feedback.models import Ticket

pytestmark = pytest.mark.django_db

OPENED = dt.datetime(2026, 11, 10, 2, 0, tzinfo=dt.UTC)


def _ticket(customer: Any, owner: Any, category: str, **times: Any) -> Ticket:
    return Ticket.objects.create(
        customer=customer,
        owner=owner,
        category=category,
        channel="phone",
        text="x",
        source="staff",
        opened_at=OPENED,
        first_reply_due=OPENED + dt.timedelta(hours=24),
        solve_due=OPENED + dt.timedelta(hours=48),
        **times,
    )


def test_report_counts_against_the_clocks(world: Any, client_for: Any) -> None:
    manager = world.users["account_manager"]
    own, foreign = world.own_customer, world.foreign_customer
    _ticket(
        own,
        manager,
        "complaint",
        first_reply_at=OPENED + dt.timedelta(hours=2),
        solved_at=OPENED + dt.timedelta(hours=10),
    )
    _ticket(
        own,
        manager,
        "complaint",
        first_reply_at=OPENED + dt.timedelta(hours=30),
        first_reply_breached_at=OPENED + dt.timedelta(hours=25),
    )
    _ticket(own, None, "praise")
    _ticket(foreign, world.other_manager, "complaint")
    url = reverse("feedback:report") + "?start=2026-11-01&end=2026-11-30"
    page = client_for("account_manager").get(url)
    assert page.status_code == 200
    report = page.context["report"]
    assert report.total.as_dict() == {
        "label": "",
        "opened": 3,
        "replied": 2,
        "replied_in_time": 1,
        "solved": 1,
        "solved_in_time": 1,
        "breached": 1,
        "reply_median": 16.0,
        "solve_median": 10.0,
    }
    assert [(r.label, r.opened, r.breached) for r in report.by_category] == [
        ("Complaint", 2, 1),
        ("Praise", 1, 0),
    ]
    assert [(r.label, r.opened) for r in report.by_person] == [
        ("account_manager", 2),
        ("nobody", 1),
    ]
    assert client_for("admin").get(url).context["report"].total.opened == 4
    assert 'id="ticket-chart-data"' in page.content.decode()


def test_report_refuses_a_bad_range(world: Any, client_for: Any) -> None:
    page = client_for("service").get(
        reverse("feedback:report") + "?start=2026-12-01&end=2026-11-01"
    )
    assert page.status_code == 400
    assert "The start date is after the end date." in page.content.decode()
