"""Warnings after contact: the check-back 7 days after contact moves the
plan on or lapses it, a purchase wins the customer back, a lapsed customer
is warned again only after buying, and lapsing tells the surveys once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from guanxi.care.choices import TaskStatus, WarningStatus
from guanxi.care.models import CareSettings, CareTask, ChurnWarning
from guanxi.care.tests.evaluating import DAY, _at, _evaluate
from guanxi.insights.tests.factories import make_snapshot

pytestmark = pytest.mark.django_db


def _contacted(customer: Any, day: dt.date) -> None:
    task = CareTask.objects.get(customer=customer, status="open")
    task.status = TaskStatus.DONE
    task.outcome = "reached"
    task.closed_at = _at(day, 23)
    task.save()


def _silent(customer: Any, day: dt.date, days: int) -> None:
    make_snapshot(
        customer,
        day,
        days_since_last_purchase=days,
        last_purchase=day - dt.timedelta(days=days),
    )


@pytest.mark.parametrize(("after", "moved"), [(6, False), (7, True)])
def test_check_back_moves_the_plan_on_7_days_after_contact_without_a_purchase(
    make_customer: Any, after: int, moved: bool
) -> None:
    customer = make_customer()
    _silent(customer, DAY, 30)
    _evaluate()
    _contacted(customer, DAY)
    later = DAY + dt.timedelta(days=after)
    _silent(customer, later, 30 + after)
    run = _evaluate(later)
    warning = ChurnWarning.objects.get()
    assert warning.status == WarningStatus.OPEN
    assert (run.opened, run.updated, run.closed) == (0, 1 if moved else 0, 0)
    tasks = list(
        CareTask.objects.order_by("step").values_list("step", "status", "remedy")
    )
    first = (1, "done", "coupon")
    assert tasks == ([first, (2, "open", "free_upgrade")] if moved else [first])
    if moved:
        step2 = CareTask.objects.get(step=2)
        step1 = CareTask.objects.get(step=1)
        assert (step2.owner_id, step2.priority) == (step1.owner_id, step1.priority)
        assert step2.due_on == later + dt.timedelta(days=1)


@pytest.mark.parametrize(("after", "lapsed"), [(6, False), (7, True)])
def test_check_back_lapses_after_the_last_step(
    make_customer: Any, after: int, lapsed: bool
) -> None:
    customer = make_customer()
    _silent(customer, DAY, 30)
    _evaluate()
    _contacted(customer, DAY)
    second = DAY + dt.timedelta(days=7)
    _silent(customer, second, 37)
    _evaluate(second)
    _contacted(customer, second)
    later = second + dt.timedelta(days=after)
    _silent(customer, later, 37 + after)
    run = _evaluate(later)
    expected = WarningStatus.LAPSED if lapsed else WarningStatus.OPEN
    assert ChurnWarning.objects.get().status == expected
    assert (run.opened, run.updated, run.closed) == (0, 0, 1 if lapsed else 0)
    assert CareTask.objects.count() == 2


def test_a_one_step_plan_lapses_at_the_first_check_back(make_customer: Any) -> None:
    CareSettings.objects.create(pk=1, plan_steps=1)
    customer = make_customer()
    _silent(customer, DAY, 30)
    _evaluate()
    _contacted(customer, DAY)
    later = DAY + dt.timedelta(days=7)
    _silent(customer, later, 37)
    _evaluate(later)
    assert ChurnWarning.objects.get().status == WarningStatus.LAPSED
    assert CareTask.objects.count() == 1


def test_three_steps_and_the_days_between(make_customer: Any) -> None:
    CareSettings.objects.create(pk=1, plan_steps=3, check_back_days=10)
    customer = make_customer()
    _silent(customer, DAY, 30)
    _evaluate()
    day = DAY
    for step in (1, 2):
        _contacted(customer, day)
        day = day + dt.timedelta(days=9)
        _silent(customer, day, 30)
        _evaluate(day)
        assert CareTask.objects.count() == step  # not yet: 9 days
        day = day + dt.timedelta(days=1)
        _silent(customer, day, 30)
        _evaluate(day)
        assert CareTask.objects.filter(step=step + 1, status="open").count() == 1
    _contacted(customer, day)
    day = day + dt.timedelta(days=10)
    _silent(customer, day, 30)
    _evaluate(day)
    assert ChurnWarning.objects.get().status == WarningStatus.LAPSED


def test_a_purchase_during_the_second_step_wins_back(make_customer: Any) -> None:
    customer = make_customer()
    _silent(customer, DAY, 30)
    _evaluate()
    _contacted(customer, DAY)
    second = DAY + dt.timedelta(days=7)
    _silent(customer, second, 37)
    _evaluate(second)
    later = second + dt.timedelta(days=3)
    _silent(customer, later, 1)  # bought during the second step
    _evaluate(later)
    assert ChurnWarning.objects.get().status == WarningStatus.WON_BACK
    assert CareTask.objects.get(step=2).status == TaskStatus.OBSOLETE


def test_check_back_a_purchase_after_contact_wins_back(make_customer: Any) -> None:
    customer = make_customer()
    _silent(customer, DAY, 30)
    _evaluate()
    _contacted(customer, DAY)
    later = DAY + dt.timedelta(days=7)
    _silent(customer, later, 2)  # bought 5 days after the contact
    _evaluate(later)
    assert ChurnWarning.objects.get().status == WarningStatus.WON_BACK


@pytest.mark.usefixtures("reads")
def test_a_lapsed_customer_is_warned_again_only_after_buying(
    make_customer: Any,
) -> None:
    customer = make_customer()
    _silent(customer, DAY, 30)
    _evaluate()
    _contacted(customer, DAY)
    for offset in (7, 14, 21):
        later = DAY + dt.timedelta(days=offset)
        _silent(customer, later, 30 + offset)
        _evaluate(later)
        if offset == 7:
            _contacted(customer, later)
    assert list(ChurnWarning.objects.values_list("status", flat=True)) == ["lapsed"]
    # Bought on day 20, silent again 30 days later: a new warning and task.
    back = DAY + dt.timedelta(days=50)
    _silent(customer, back, 30)
    run = _evaluate(back)
    assert run.opened == 1
    assert ChurnWarning.objects.filter(status="open").count() == 1
    assert CareTask.objects.filter(status="open").count() == 1


def test_lapsing_sends_the_survey_hook_once(
    make_customer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from guanxi.care.services import customer_lapsed

    heard: list[tuple[int, int, str]] = []

    def receiver(sender: Any, *, warning: Any, customer_id: int, **kwargs: Any) -> None:
        heard.append((customer_id, warning.pk, warning.status))

    customer_lapsed.connect(receiver, dispatch_uid="test-survey")
    try:
        CareSettings.objects.create(pk=1, plan_steps=1)
        customer = make_customer()
        other = make_customer()
        for c in (customer, other):
            _silent(c, DAY, 30)
        _evaluate()
        _contacted(customer, DAY)
        for offset in (6, 7, 8):
            later = DAY + dt.timedelta(days=offset)
            for c in (customer, other):
                _silent(c, later, 30 + offset)
            with django_capture_on_commit_callbacks(execute=True):
                _evaluate(later)
            if offset == 6:
                assert heard == []
    finally:
        customer_lapsed.disconnect(dispatch_uid="test-survey")
    warning = ChurnWarning.objects.get(customer=customer)
    assert heard == [(customer.pk, warning.pk, "lapsed")]
