"""The engine on the database: who enters, the steps on their days, the
holdout group, exits on purchase mid-wait, versions, and a second run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from guanxi.commerce.services import OrderInput, order_create
from guanxi.journeys.engine import enrol, run_moment
from guanxi.journeys.holdout import holdout_basis_points, holdout_key
from guanxi.journeys.models import Enrolment, Journey, StepRun
from guanxi.journeys.services import journey_define, journeys_run
from guanxi.messaging.models import Message

pytestmark = pytest.mark.django_db

CHECKIN = {
    "trigger": {"type": "event", "event": "first_purchase"},
    "steps": [
        {"id": "wait", "type": "wait", "duration": {"hours": 24}, "next": "checkin"},
        {"id": "checkin", "type": "send_message", "template": "checkin"},
    ],
}


def _buy(users: dict[str, Any], customer: Any, when: dt.datetime, n: int = 1) -> None:
    order_create(
        actor=users["admin"],
        order=OrderInput(
            external_id=f"o{customer.pk}-{n}",
            customer_id=customer.pk,
            ordered_at=when,
            amount=Decimal("120.00"),
        ),
    )


def _switched_on_before(journey: Journey, when: dt.datetime) -> None:
    Journey.objects.filter(pk=journey.pk).update(enabled_at=when)


def test_check_in_a_day_after_the_first_purchase_and_not_to_the_holdout(
    users: dict[str, Any], make_customer: Any, template: Any, make_journey: Any
) -> None:
    journey = make_journey(CHECKIN, holdout_percent=50)
    today = timezone.localdate()
    _switched_on_before(journey, run_moment(today - dt.timedelta(days=1)))
    customers = [make_customer(email=f"c{i}@example.com") for i in range(20)]
    for customer in customers:
        _buy(users, customer, timezone.now())
    key = holdout_key(journey.pk)
    held = {c.pk for c in customers if holdout_basis_points(key, c.pk) < 5000}
    assert 0 < len(held) < 20  # both groups exist (fixed by the keyed hash)

    first = journeys_run(as_of=today).as_dict()
    assert {k: first[k] for k in ("evaluated", "enrolled", "advanced", "queued")} == {
        "evaluated": 1,
        "enrolled": 20,
        "advanced": 0,
        "queued": 0,
    }
    assert set(first) == {"evaluated", "enrolled", "advanced", "queued", "seconds"}
    assert {e.customer_id for e in Enrolment.objects.filter(holdout=True)} == held
    assert not Message.objects.exists()  # the wait: 24 hours

    again = journeys_run(as_of=today).as_dict()
    assert (again["enrolled"], again["advanced"], again["queued"]) == (0, 0, 0)

    tomorrow = journeys_run(as_of=today + dt.timedelta(days=1)).as_dict()
    assert (tomorrow["enrolled"], tomorrow["queued"]) == (0, 20 - len(held))
    assert tomorrow["advanced"] == 40  # the wait and the message, each of 20
    assert set(Message.objects.values_list("customer_id", flat=True)) == {
        c.pk for c in customers if c.pk not in held
    }
    outcomes = dict(
        StepRun.objects.filter(step="checkin").values_list(
            "enrolment__customer_id", "outcome"
        )
    )
    assert outcomes == {
        c.pk: ("held_out" if c.pk in held else "queued") for c in customers
    }
    assert set(Enrolment.objects.values_list("state", flat=True)) == {"completed"}
    last = journeys_run(as_of=today + dt.timedelta(days=1)).as_dict()
    assert (last["enrolled"], last["advanced"], last["queued"]) == (0, 0, 0)
    assert Message.objects.count() == 20 - len(held)


WINBACK = {
    "trigger": {"type": "date", "field": "days_after_last_purchase", "days": 30},
    "steps": [
        {"id": "wait", "type": "wait", "duration": {"days": 7}, "next": "hello"},
        {"id": "hello", "type": "send_message", "template": "checkin"},
    ],
}


def test_a_purchase_mid_wait_takes_the_customer_out(
    users: dict[str, Any], make_customer: Any, template: Any, make_journey: Any
) -> None:
    journey = make_journey(WINBACK, holdout_percent=0, exit_on_purchase=True)
    today = timezone.localdate()
    stays, buys, early = (make_customer(email=f"w{i}@example.com") for i in range(3))
    month_ago = timezone.now() - dt.timedelta(days=30)
    for customer in (stays, buys):
        _buy(users, customer, month_ago)
    _buy(users, early, month_ago - dt.timedelta(days=3))
    assert journeys_run(as_of=today).enrolled == 2
    _buy(users, buys, timezone.now(), n=2)  # during the week's wait
    week = journeys_run(as_of=today + dt.timedelta(days=7))
    assert week.queued == 1
    assert list(Message.objects.values_list("customer_id", flat=True)) == [stays.pk]
    left = Enrolment.objects.get(customer=buys)
    assert (left.state, left.exit_reason, left.step) == ("exited", "purchase", "")
    assert list(left.step_runs.values_list("step", "outcome", "detail")) == [
        ("wait", "exited", "purchase")
    ]
    assert Enrolment.objects.get(customer=stays).state == "completed"
    assert not Enrolment.objects.filter(customer=early).exists()
    assert journey.pk


def test_an_edited_journey_keeps_customers_in_flight_on_their_version(
    users: dict[str, Any], make_customer: Any, template: Any, make_journey: Any
) -> None:
    journey = make_journey(CHECKIN, holdout_percent=0)
    today = timezone.localdate()
    _switched_on_before(journey, run_moment(today - dt.timedelta(days=1)))
    first = make_customer(email="a@example.com")
    _buy(users, first, timezone.now())
    journeys_run(as_of=today)
    old = Enrolment.objects.get().version
    new = journey_define(
        actor=users["operations"],
        journey=journey,
        definition={
            "trigger": CHECKIN["trigger"],
            "steps": [
                {"id": "wait", "type": "wait", "duration": {"days": 3}, "next": "tag"},
                {"id": "tag", "type": "add_tag", "tag": "checked"},
            ],
        },
    )
    assert (old.number, new.number) == (1, 2)
    second = make_customer(email="b@example.com")
    _buy(users, second, timezone.now())
    assert journeys_run(as_of=today).enrolled == 1
    journeys_run(as_of=today + dt.timedelta(days=1))
    one = Enrolment.objects.get(customer=first)
    two = Enrolment.objects.get(customer=second)
    assert (one.version_id, one.state) == (old.pk, "completed")
    assert list(one.step_runs.values_list("step", flat=True)) == ["wait", "checkin"]
    assert (two.version_id, two.state, two.step) == (new.pk, "active", "wait")
    journeys_run(as_of=today + dt.timedelta(days=3))
    two.refresh_from_db()
    assert two.state == "completed"
    assert list(second.tags.values_list("name", flat=True)) == ["checked"]
    assert Message.objects.get().customer_id == first.pk


def test_the_database_enrols_a_customer_once_per_entry_key(
    make_customer: Any, make_journey: Any
) -> None:
    from guanxi.customers.models import Customer

    journey = make_journey(
        {
            "trigger": {"type": "event", "event": "customer_created"},
            "steps": [{"id": "w", "type": "wait", "duration": {"days": 1}}],
        },
        entry_rule="per_period",
        entry_period="month",
    )
    customers = [make_customer() for _ in range(3)]
    everyone = Customer.objects.filter(pk__in=[c.pk for c in customers])
    moment = timezone.now()
    assert enrol(journey, everyone, key="2026-12", moment=moment) == 3
    assert enrol(journey, everyone, key="2026-12", moment=moment) == 0
    # Still in the journey: a new period's key waits until they leave.
    assert enrol(journey, everyone, key="2027-01", moment=moment) == 0
    Enrolment.objects.update(state="completed")
    assert enrol(journey, everyone, key="2027-01", moment=moment) == 3
    assert enrol(journey, everyone, key="2026-12", moment=moment) == 0
    assert Enrolment.objects.count() == 6


def test_conditions_branch_and_tags_are_set_and_taken_off(
    users: dict[str, Any], make_customer: Any, make_journey: Any
) -> None:
    from guanxi.customers.services import customer_tags_bulk_add

    journey = make_journey(
        {
            "trigger": {"type": "event", "event": "customer_created"},
            "steps": [
                {
                    "id": "vip",
                    "type": "condition",
                    "field": "tag",
                    "op": "has",
                    "value": "VIP",
                    "then": "thanks",
                    "else": "city",
                },
                {"id": "thanks", "type": "remove_tag", "tag": "VIP", "next": "done"},
                {
                    "id": "city",
                    "type": "condition",
                    "field": "city",
                    "op": "eq",
                    "value": "上海",
                    "then": "sh",
                },
                {"id": "sh", "type": "add_tag", "tag": "上海新客"},
                {"id": "done", "type": "exit"},
            ],
        },
        holdout_percent=0,
    )
    today = timezone.localdate()
    _switched_on_before(journey, run_moment(today - dt.timedelta(days=1)))
    vip, shanghai, other = (
        make_customer(city="北京"),
        make_customer(city="上海"),
        make_customer(city="北京"),
    )
    customer_tags_bulk_add(links=[(vip.pk, "VIP")])
    counts = journeys_run(as_of=today)
    assert (counts.enrolled, counts.advanced) == (3, 8)
    assert list(vip.tags.values_list("name", flat=True)) == []
    assert list(shanghai.tags.values_list("name", flat=True)) == ["上海新客"]
    assert list(other.tags.values_list("name", flat=True)) == []
    states = {e.customer_id: (e.state, e.exit_reason) for e in Enrolment.objects.all()}
    assert states == {
        vip.pk: ("exited", "exit_step"),
        shanghai.pk: ("completed", ""),
        other.pk: ("completed", ""),
    }
    assert list(
        StepRun.objects.filter(enrolment__customer=other).values_list("step", "outcome")
    ) == [("vip", "no"), ("city", "no")]


def test_enrolments_and_steps_are_on_the_customer_timeline(
    users: dict[str, Any], make_customer: Any, make_journey: Any, client: Any
) -> None:
    journey = make_journey(
        {
            "trigger": {"type": "event", "event": "customer_created"},
            "steps": [{"id": "welcome-tag", "type": "add_tag", "tag": "新客"}],
        },
        holdout_percent=0,
    )
    today = timezone.localdate()
    _switched_on_before(journey, run_moment(today - dt.timedelta(days=1)))
    customer = make_customer()
    journeys_run(as_of=today)
    client.force_login(users["admin"])
    page = client.get(f"/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Entered the journey Test" in text
    assert "Journey Test, step welcome-tag: Tag added" in text
    assert "Completed the journey Test" in text
