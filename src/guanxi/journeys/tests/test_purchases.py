"""What orders set off in the journeys: waits for a purchase, exits on
purchase for the customers written (in chunks of their ids), and the
enrolments left unread when no journey switched on needs them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.commerce.services import OrderInput, order_create
from guanxi.customers.models import Customer
from guanxi.journeys import purchases
from guanxi.journeys.models import Enrolment, Journey, PendingPurchases, StepRun
from guanxi.journeys.pending import purchases_evaluate, purchases_pending_drain
from guanxi.journeys.services import journey_set_state, journeys_run

pytestmark = pytest.mark.django_db

WAIT_FOR_PURCHASE = {
    "trigger": {"type": "date", "field": "days_after_last_purchase", "days": 30},
    "steps": [
        {
            "id": "buy",
            "type": "wait_event",
            "event": "purchase",
            "timeout": {"days": 14},
            "next": "thanks",
            "timeout_next": "",
        },
        {"id": "thanks", "type": "send_message", "template": "checkin"},
    ],
}

WINBACK = {
    "trigger": {"type": "date", "field": "days_after_last_purchase", "days": 30},
    "steps": [{"id": "wait", "type": "wait", "duration": {"days": 7}}],
}


def _buy(users: dict[str, Any], customer: Any, when: dt.datetime, n: int) -> None:
    order_create(
        actor=users["admin"],
        order=OrderInput(
            external_id=f"p{customer.pk}-{n}",
            customer_id=customer.pk,
            ordered_at=when,
            amount=Decimal("80.00"),
        ),
    )


def _lapsed(users: dict[str, Any], make_customer: Any, n: int) -> list[Any]:
    """``n`` customers whose last purchase was 30 days ago."""
    month_ago = timezone.now() - dt.timedelta(days=30)
    customers = [make_customer(email=f"l{i}@example.com") for i in range(n)]
    for customer in customers:
        _buy(users, customer, month_ago, 1)
    return customers


def _statements(queries: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]


def _enrolment_reads(queries: list[dict[str, str]]) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "journeys_enrolment" in q["sql"] and q["sql"].lstrip().startswith("SELECT")
    ]


def test_a_purchase_moves_on_who_waits_for_one(
    users: dict[str, Any],
    make_customer: Any,
    template: Any,
    make_journey: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_journey(WAIT_FOR_PURCHASE, holdout_percent=0)
    buys, waits = _lapsed(users, make_customer, 2)
    assert journeys_run().enrolled == 2
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        _buy(users, buys, timezone.now(), 2)  # recorded with the order
    assert hooks  # the task queued for the worker
    assert Enrolment.objects.get(customer=buys).step == "buy"  # not done yet
    assert purchases_pending_drain().done == 1  # what the task does
    assert not PendingPurchases.objects.exists()
    moved = Enrolment.objects.get(customer=buys)
    assert (moved.state, moved.step) == ("active", "thanks")
    assert list(moved.step_runs.values_list("step", "outcome")) == [("buy", "event")]
    still = Enrolment.objects.get(customer=waits)
    assert (still.state, still.step) == ("active", "buy")
    assert not still.step_runs.exists()


def test_the_scheduler_moves_on_a_purchase_made_while_the_journey_was_off(
    users: dict[str, Any], make_customer: Any, template: Any, make_journey: Any
) -> None:
    make_journey(WAIT_FOR_PURCHASE, holdout_percent=0)
    (customer,) = _lapsed(users, make_customer, 1)
    assert journeys_run().enrolled == 1
    journey_set_state(actor=users["admin"], slug="test", on=False)
    _buy(users, customer, timezone.now(), 2)
    assert Enrolment.objects.get(customer=customer).step == "buy"  # not seen: off
    journey_set_state(actor=users["admin"], slug="test", on=True)
    run = journeys_run()
    assert (run.advanced, run.queued) == (2, 1)  # the event, then the message
    assert list(StepRun.objects.order_by("id").values_list("step", "outcome")) == [
        ("buy", "event"),
        ("thanks", "queued"),
    ]


def test_a_purchase_by_a_customer_in_no_journey_changes_nothing(
    users: dict[str, Any],
    make_customer: Any,
    template: Any,
    make_journey: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_journey(WINBACK, holdout_percent=0, exit_on_purchase=True)
    (enrolled,) = _lapsed(users, make_customer, 1)
    assert journeys_run().enrolled == 1
    stranger = make_customer(email="new@example.com")
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        _buy(users, stranger, timezone.now(), 1)
    assert hooks
    assert purchases_pending_drain().done == 1
    assert not Enrolment.objects.filter(customer=stranger).exists()
    assert Enrolment.objects.get(customer=enrolled).state == "active"
    assert not StepRun.objects.exists()


def test_more_customers_than_an_id_chunk_all_leave(
    users: dict[str, Any],
    make_customer: Any,
    template: Any,
    make_journey: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_journey(WINBACK, holdout_percent=0, exit_on_purchase=True)
    customers = _lapsed(users, make_customer, 5)
    assert journeys_run().enrolled == 5
    monkeypatch.setattr(purchases, "ID_CHUNK", 2)  # three chunks: 2, 2 and 1
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(
        last_purchase_at=timezone.now() + dt.timedelta(minutes=1)
    )
    others = [c.pk for c in customers[:4]]
    with CaptureQueriesContext(connection) as queries:
        purchases_evaluate(customer_ids=[*reversed(others), 10**9])
    reads = _enrolment_reads(queries.captured_queries)
    assert len(reads) == 3  # one locked read per chunk
    left = Enrolment.objects.filter(exit_reason="purchase")
    assert sorted(left.values_list("customer_id", flat=True)) == sorted(others)
    assert Enrolment.objects.get(customer=customers[4]).state == "active"
    assert set(StepRun.objects.values_list("outcome", "detail")) == {
        ("exited", "purchase")
    }


def test_with_every_journey_off_the_hook_reads_one_row_set(
    users: dict[str, Any], make_customer: Any, template: Any, make_journey: Any
) -> None:
    make_journey(WINBACK, holdout_percent=0, exit_on_purchase=True)
    customers = _lapsed(users, make_customer, 3)
    assert journeys_run().enrolled == 3
    Journey.objects.update(state="off")
    with CaptureQueriesContext(connection) as queries:
        purchases_evaluate(customer_ids=[c.pk for c in customers])
    assert len(queries.captured_queries) == 1
    assert "journeys_enrolment" not in queries.captured_queries[0]["sql"]


def test_without_exits_or_waits_no_enrolment_is_read(
    users: dict[str, Any], make_customer: Any, template: Any, make_journey: Any
) -> None:
    make_journey(WINBACK, holdout_percent=0, slug="plain")
    make_journey(
        {
            "trigger": {"type": "event", "event": "purchase"},
            "steps": [{"id": "wait", "type": "wait", "duration": {"days": 1}}],
        },
        slug="bought",
        holdout_percent=0,
    )
    customers = _lapsed(users, make_customer, 3)
    Customer.objects.update(last_purchase_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        purchases_evaluate(customer_ids=[c.pk for c in customers])
    assert _enrolment_reads(queries.captured_queries) == []
    # the journeys, their versions' ids and definitions, one insert
    assert len(_statements(queries.captured_queries)) == 4
    bought = Enrolment.objects.filter(journey__slug="bought")
    assert sorted(bought.values_list("customer_id", flat=True)) == sorted(
        c.pk for c in customers
    )
