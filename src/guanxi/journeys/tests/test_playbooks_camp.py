"""The two multi-day playbooks with the clock frozen and moved day by day:
the 7-day onboarding camp (seed 002, 3.4) and the 30-day win-back (seed 002,
3.5), each step on its day, to the customers it is for, not to the
holdout."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from guanxi.care.models import CareTask
from guanxi.care.services import task_close
from guanxi.coupons.models import IssuedCoupon
from guanxi.customers.models import Customer
from guanxi.journeys.models import Enrolment
from guanxi.journeys.services import journey_playbooks_ensure, journeys_run
from guanxi.journeys.tests.test_playbooks import switch_on
from guanxi.journeys.tests.world import (
    START,
    at,
    buy,
    not_held,
    reachable,
    scoring,
    sent,
    stage_changes,
)
from guanxi.surveys.models import Answer, Invitation

pytestmark = pytest.mark.django_db


def _day(n: int, hour: int = 10) -> dt.datetime:
    """Day ``n`` of the playbook (day 1 is START)."""
    return at(START + dt.timedelta(days=n - 1), hour)


def _tagged(tag: str) -> set[int]:
    return set(
        Customer.objects.filter(tag_links__tag__name=tag).values_list("pk", flat=True)
    )


def test_the_onboarding_camp_day_by_day(
    users: dict[str, Any], make_customer: Any, smtp: Any
) -> None:
    background = reachable(make_customer, 3, "g")
    for c in background:
        buy(users, c, at(START - dt.timedelta(days=60)), amount="100.00")
    journey_playbooks_ensure(actor=users["admin"])
    with time_machine.travel(_day(1), tick=False) as clock:
        switch_on(users, "onboarding-camp")
        clock.move_to(_day(1) + dt.timedelta(minutes=5))
        new = reachable(make_customer, 12, "n")
        big = reachable(make_customer, 1, "big")[0]  # a first order above average
        buy(users, big, _day(1) + dt.timedelta(minutes=6), amount="900.00")
        clock.move_to(_day(1) + dt.timedelta(minutes=30))
        journeys_run()
        reached = not_held("onboarding-camp", new)
        assert 0 < len(reached) < 12
        assert set(sent("onboarding-camp", "pack")) == reached
        tasks = CareTask.objects.values_list("customer_id", "instructions")
        assert {pk for pk, _n in tasks} == reached
        assert all(
            note.startswith("7 天体验营第 1 天：1V1 电话欢迎") for _p, note in tasks
        )
        big_run = Enrolment.objects.get(customer=big)
        assert (big_run.state, big_run.exit_reason) == ("exited", "exit_step")

        clock.move_to(_day(2, 12))
        assert journeys_run().queued == 0
        clock.move_to(_day(3, 12))
        journeys_run()
        assert set(sent("onboarding-camp", "live")) == reached
        clock.move_to(_day(5, 12))
        journeys_run()
        invited = Invitation.objects.filter(trigger="journey", survey__kind="needs")
        assert set(invited.values_list("customer_id", flat=True)) == reached
        clock.move_to(_day(7, 12))
        journeys_run()
        codes = dict(IssuedCoupon.objects.values_list("customer_id", "code"))
        assert sent("onboarding-camp", "report") == {
            pk: {"coupon_code": codes[pk]} for pk in reached
        }
        # Before the sort: one buys, one answers the needs survey.
        ordered = sorted(reached)
        buyer, answerer = ordered[0], ordered[1]
        buy(users, Customer.objects.get(pk=buyer), _day(7) + dt.timedelta(hours=1))
        invitation = invited.get(customer_id=answerer)
        Answer.objects.create(
            invitation=invitation,
            survey=invitation.survey,
            customer_id=answerer,
            kind="needs",
            answered_at=_day(7) + dt.timedelta(hours=2),
        )
        clock.move_to(_day(8, 12))
        journeys_run()
    assert _tagged("体验良好可转化") == {buyer}
    assert _tagged("需重点跟进") == {answerer}
    held = {c.pk for c in new} - reached
    assert _tagged("低意愿暂缓") == (reached - {buyer, answerer}) | held
    assert set(
        Enrolment.objects.filter(customer__in=new).values_list("state", flat=True)
    ) == {"completed"}


def test_the_win_back_diagnoses_remedies_by_reason_and_reconnects(
    users: dict[str, Any], make_customer: Any, smtp: Any
) -> None:
    lapsed = reachable(make_customer, 16, "w")
    small = reachable(make_customer, 2, "s")  # spent below the average
    for c in lapsed + small:
        buy(users, c, at(START - dt.timedelta(days=120)))
    scoring(
        START,
        {
            **{c.pk: {"stage": "lapsed", "current_value": 1000.0} for c in lapsed},
            **{c.pk: {"stage": "lapsed", "current_value": 10.0} for c in small},
        },
    )
    stage_changes(START, [c.pk for c in lapsed + small], "lapsed")
    journey_playbooks_ensure(actor=users["admin"])
    with time_machine.travel(_day(1) - dt.timedelta(hours=2), tick=False) as clock:
        switch_on(users, "win-back")
        clock.move_to(_day(1))
        journeys_run()
        reached = not_held("win-back", lapsed)
        assert 3 < len(reached) < 16
        # Diagnose (days 1–7): a call task for each reached customer.
        tasks = {t.customer_id: t for t in CareTask.objects.all()}
        assert set(tasks) == reached
        left = Enrolment.objects.filter(customer__in=small)
        assert set(left.values_list("state", "exit_reason")) == {
            ("exited", "exit_step")
        }
        ordered = sorted(reached)
        price, service, returns = ordered[0], ordered[1], ordered[2]
        for pk, reason in ((price, "price"), (service, "service"), (returns, "other")):
            task_close(
                actor=users["admin"],
                task_id=tasks[pk].pk,
                outcome="reached",
                leave_reason=reason,
            )
        clock.move_to(_day(7, 12))
        journeys_run()
        assert not sent("win-back", "letter-price")
        # Remedy (day 8): price → a coupon in the letter; service → a task to
        # upgrade the manager, and the letter; the rest the letter.
        clock.move_to(_day(8, 12))
        journeys_run()
        codes = dict(IssuedCoupon.objects.values_list("customer_id", "code"))
        assert sent("win-back", "letter-price") == {
            price: {"coupon_code": codes[price]}
        }
        assert set(sent("win-back", "letter")) == reached - {price}
        upgrade = CareTask.objects.filter(instructions__contains="升级客户经理")
        assert list(upgrade.values_list("customer_id", flat=True)) == [service]
        buy(users, Customer.objects.get(pk=returns), _day(10), n=2)
        clock.move_to(_day(21, 12))
        journeys_run()
        # Reconnect (day 21): the invitation with a return gift, not to who
        # came back (they left the journey on their purchase).
        gifts = dict(
            IssuedCoupon.objects.filter(
                definition__slug="journey-win-back-return"
            ).values_list("customer_id", "code")
        )
        assert sent("win-back", "invite") == {
            pk: {"coupon_code": gifts[pk]} for pk in reached - {returns}
        }
        gone = Enrolment.objects.get(customer_id=returns)
        assert (gone.state, gone.exit_reason) == ("exited", "purchase")
        clock.move_to(_day(30, 12))
        journeys_run()
    held = {c.pk for c in lapsed} - reached
    finished = Enrolment.objects.filter(customer_id__in=held | (reached - {returns}))
    assert set(finished.values_list("state", flat=True)) == {"completed"}
    assert not held & set(IssuedCoupon.objects.values_list("customer_id", flat=True))
