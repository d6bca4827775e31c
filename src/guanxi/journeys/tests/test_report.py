"""The effect report on a constructed example with a hand-computed answer,
the groups that are too small to tell, and the per-step message figures of
a journey that ran."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from guanxi.analytics.lift import GroupSums, conversion_lift, revenue_lift
from guanxi.commerce.services import OrderInput, order_create
from guanxi.journeys.engine import run_moment
from guanxi.journeys.models import Enrolment, Journey
from guanxi.journeys.report import journey_report
from guanxi.journeys.services import journeys_run
from guanxi.messaging.delivery import messages_dispatch
from guanxi.messaging.events import message_event_record
from guanxi.messaging.models import Message

pytestmark = pytest.mark.django_db

CHECKIN = {
    "trigger": {"type": "event", "event": "first_purchase"},
    "steps": [
        {"id": "wait", "type": "wait", "duration": {"hours": 24}, "next": "checkin"},
        {"id": "checkin", "type": "send_message", "template": "checkin"},
    ],
}
ENTERED = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


def _order(users: dict[str, Any], customer: Any, when: dt.datetime, **kw: Any) -> None:
    order_create(
        actor=users["admin"],
        order=OrderInput(
            external_id=f"o{customer.pk}-{when:%m%d%H}-{kw.get('status', 'paid')}",
            customer_id=customer.pk,
            ordered_at=when,
            amount=kw.get("amount", Decimal("100.00")),
            status=kw.get("status", "paid"),
        ),
    )


def _group(
    users: dict[str, Any],
    make_customer: Any,
    journey: Journey,
    *,
    n: int,
    buyers: int,
    holdout: bool,
) -> None:
    """``n`` enrolments on ``ENTERED``, the first ``buyers`` of whom buy for
    100.00 five days later; everyone also buys before entering, after the
    window, or with an order cancelled in it (none of which counts)."""
    assert journey.current_version is not None
    for i in range(n):
        customer = make_customer(name=f"c{i}")
        Enrolment.objects.create(
            journey=journey,
            version=journey.current_version,
            customer=customer,
            entry_key="once",
            holdout=holdout,
            entered_at=ENTERED,
            state="completed",
        )
        if i < buyers:
            _order(users, customer, ENTERED + dt.timedelta(days=5))
        elif i % 3 == 0:
            _order(users, customer, ENTERED - dt.timedelta(hours=1))
        elif i % 3 == 1:
            _order(users, customer, ENTERED + dt.timedelta(days=30, minutes=1))
        else:
            _order(users, customer, ENTERED + dt.timedelta(days=2), status="cancelled")


def test_lift_on_a_constructed_example(
    users: dict[str, Any], make_customer: Any, template: Any, make_journey: Any
) -> None:
    journey = make_journey(CHECKIN, on=False)
    _group(users, make_customer, journey, n=40, buyers=12, holdout=False)
    _group(users, make_customer, journey, n=30, buyers=3, holdout=True)

    report = journey_report(
        actor=users["admin"],
        journey=journey,
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 30),
        days=30,
    )

    assert (report.treated.n, report.treated.converted) == (40, 12)
    assert (report.holdout.n, report.holdout.converted) == (30, 3)
    assert (report.entered, report.converted, report.revenue) == (
        70,
        15,
        Decimal("1500.00"),
    )
    # Conversion: 12/40 = 0.30 against 3/30 = 0.10, difference 0.20;
    # SE = √(0.3·0.7/40 + 0.1·0.9/30) = √0.00825 = 0.0908295;
    # 0.20 ± 1.959964 · 0.0908295 = 0.20 ± 0.178023.
    c = report.conversion
    assert [c.treated, c.holdout, c.difference] == pytest.approx([0.30, 0.10, 0.20])
    assert [c.low, c.high] == pytest.approx([0.021977, 0.378023], abs=1e-6)
    assert c.verdict == "higher"
    # Revenue per customer: 1200/40 = 30.00 against 300/30 = 10.00;
    # s² = (12·100² − 1200²/40)/39 = 84000/39 = 2153.846 and
    # (3·100² − 300²/30)/29 = 27000/29 = 931.034; SE = √(53.846 + 31.034)
    # = 9.21307; ν = 84.880² / (53.846²/39 + 31.034²/29) = 66.99;
    # t(0.975, 66.99) = 1.99602; 20 ± 18.3894.
    r = report.revenue_per_customer
    assert [r.treated, r.holdout, r.difference] == pytest.approx([30.0, 10.0, 20.0])
    assert [r.low, r.high] == pytest.approx([1.6106, 38.3894], abs=1e-4)
    assert r.verdict == "higher"
    # A window of 3 days: the purchases on day 5 are out, nobody converted.
    short = journey_report(
        actor=users["admin"],
        journey=journey,
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 30),
        days=3,
    )
    assert (short.converted, short.conversion.difference) == (0, 0.0)
    assert short.conversion.verdict == "unclear"
    # Entries outside the period are not counted.
    later = journey_report(
        actor=users["admin"],
        journey=journey,
        start=dt.date(2026, 11, 3),
        end=dt.date(2026, 11, 30),
    )
    assert later.entered == 0
    assert later.conversion.verdict == "too_small"


def test_too_small_to_tell_below_thirty_in_a_group() -> None:
    treated = GroupSums(n=29, converted=20, revenue=2000.0, revenue_squares=200000.0)
    holdout = GroupSums(n=300, converted=3, revenue=300.0, revenue_squares=30000.0)
    assert conversion_lift(treated, holdout).verdict == "too_small"
    assert revenue_lift(treated, holdout).verdict == "too_small"
    bigger = GroupSums(n=30, converted=20, revenue=2000.0, revenue_squares=200000.0)
    assert conversion_lift(bigger, holdout).verdict == "higher"
    empty = GroupSums(0, 0, 0.0, 0.0)
    assert conversion_lift(bigger, empty).difference is None
    assert revenue_lift(bigger, empty).verdict == "too_small"


def test_step_figures_of_a_journey_that_ran(
    users: dict[str, Any],
    make_customer: Any,
    template: Any,
    make_journey: Any,
    smtp: Any,
) -> None:
    journey = make_journey(CHECKIN, holdout_percent=0)
    today = timezone.localdate()
    Journey.objects.filter(pk=journey.pk).update(
        enabled_at=timezone.now() - dt.timedelta(days=1)
    )
    customers = [make_customer(email=f"s{i}@example.com") for i in range(3)]
    for customer in customers:
        _order(users, customer, timezone.now() - dt.timedelta(minutes=5))
    journeys_run(as_of=today)
    journeys_run(as_of=today + dt.timedelta(days=1))
    tomorrow = run_moment(today + dt.timedelta(days=1))
    assert messages_dispatch(clock=lambda: tomorrow).get("sent") == 3
    first = Message.objects.order_by("pk").first()
    assert first is not None
    message_event_record(message_id=first.pk, kind="opened", occurred_at=timezone.now())
    message_event_record(
        message_id=first.pk, kind="clicked", occurred_at=timezone.now()
    )

    report = journey_report(
        actor=users["admin"], journey=journey, start=today, end=today
    )

    steps = {s.id: s for s in report.steps}
    assert (steps["wait"].entered, steps["wait"].ran) == (3, 3)
    checkin = steps["checkin"]
    assert (checkin.entered, checkin.sent, checkin.delivered) == (3, 3, 3)
    assert (checkin.opened, checkin.clicked, checkin.unsubscribed) == (1, 1, 0)
    assert (report.total("sent"), report.total("opened")) == (3, 1)
    assert [(p.start, p.treated, p.holdout) for p in report.series] == [(today, 3, 0)]
    # An account manager's report counts only their customers (none here).
    scoped = journey_report(
        actor=users["account_manager"], journey=journey, start=today, end=today
    )
    assert (scoped.entered, scoped.total("sent")) == (0, 0)
