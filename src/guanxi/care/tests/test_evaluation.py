"""Warning signals: each fires at its threshold and not one day before; a
second evaluation opens nothing; signals add to the open warning; a purchase
after the warning closes it as won back."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from guanxi.care.choices import Priority, Remedy, TaskStatus, WarningStatus
from guanxi.care.models import CareSettings, CareTask, ChurnWarning
from guanxi.care.services import warnings_evaluate
from guanxi.care.tests.evaluating import DAY, _evaluate, _interact, _signals
from guanxi.core.errors import ValidationFailed
from guanxi.insights.tests.factories import make_run, make_snapshot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("days", "fires"), [(29, False), (30, True)])
def test_no_purchase_fires_at_30_days(
    make_customer: Any, days: int, fires: bool
) -> None:
    customer = make_customer()
    make_snapshot(customer, DAY, days_since_last_purchase=days, mean_gap_days=None)
    _evaluate()
    assert ("no_purchase" in _signals(customer)) is fires
    if fires:
        assert _signals(customer)["no_purchase"] == {"as_of": "2026-11-20", "days": 30}


@pytest.mark.parametrize(("days", "fires"), [(15, False), (16, True)])
def test_past_rhythm_fires_above_k_gaps(
    make_customer: Any, days: int, fires: bool
) -> None:
    customer = make_customer()
    # k = 3 (default) × a 5-day gap: 15 days is at the limit, 16 beyond it.
    make_snapshot(customer, DAY, days_since_last_purchase=days, mean_gap_days=5.0)
    _evaluate()
    assert ("past_rhythm" in _signals(customer)) is fires


@pytest.mark.parametrize(("p_alive", "fires"), [(0.3, False), (0.2999, True)])
def test_low_p_alive_fires_below(
    make_customer: Any, p_alive: float, fires: bool
) -> None:
    customer = make_customer()
    make_snapshot(customer, DAY, p_alive=p_alive)
    _evaluate()
    assert ("low_p_alive" in _signals(customer)) is fires


@pytest.mark.parametrize(("risk", "fires"), [(0.6999, False), (0.7, True)])
def test_churn_risk_fires_from_threshold(
    make_customer: Any, risk: float, fires: bool
) -> None:
    customer = make_customer()
    make_snapshot(customer, DAY, churn_risk=risk)
    _evaluate()
    assert ("churn_risk" in _signals(customer)) is fires


@pytest.mark.parametrize(("quiet", "fires"), [(6, False), (7, True)])
def test_quiet_fires_after_7_days_without_interaction(
    make_customer: Any, quiet: int, fires: bool
) -> None:
    customer = make_customer()
    make_snapshot(customer, DAY)
    _interact(customer, DAY - dt.timedelta(days=20))
    _interact(customer, DAY - dt.timedelta(days=quiet), hour=23)
    _evaluate()
    assert ("quiet" in _signals(customer)) is fires
    if fires:
        assert _signals(customer)["quiet"]["days"] == 7


def test_quiet_needs_activity_before(make_customer: Any) -> None:
    customer = make_customer()
    make_snapshot(customer, DAY)
    _interact(customer, DAY - dt.timedelta(days=37))  # before the 30 active days
    never = make_customer()
    make_snapshot(never, DAY)
    _evaluate()
    assert _signals(customer) == {}
    assert _signals(never) == {}


@pytest.mark.parametrize(("count", "fires"), [(3, False), (4, True)])
def test_complaints_fire_above_3_in_the_calendar_month(
    make_customer: Any, count: int, fires: bool
) -> None:
    customer = make_customer()
    make_snapshot(customer, DAY)
    _interact(customer, dt.date(2026, 10, 31), kind="complaint")  # last month
    for i in range(count):
        _interact(customer, dt.date(2026, 11, 1 + i), kind="complaint")
    _evaluate()
    assert ("complaints" in _signals(customer)) is fires
    if fires:
        assert _signals(customer)["complaints"]["count"] == 4
        assert _signals(customer)["complaints"]["month"] == "2026-11"


def test_negative_feedback_since_the_last_evaluation(make_customer: Any) -> None:
    angry = make_customer()
    happy = make_customer()
    old = make_customer()
    for customer in (angry, happy, old):
        make_snapshot(customer, DAY)
    _interact(angry, DAY, kind="review", note="太差了,质量很差,再也不买了,非常失望")
    _interact(happy, DAY, kind="review", note="非常好,质量很好,很满意,下次还来")
    _interact(
        old, DAY - dt.timedelta(days=7), kind="review", note="太差了,质量很差,非常失望"
    )
    _evaluate()
    assert _signals(angry)["negative_feedback"]["negative_probability"] >= 0.6
    assert "negative_feedback" not in _signals(happy)
    # Before the first evaluation only the last 7 days are read.
    assert "negative_feedback" not in _signals(old)


@pytest.mark.usefixtures("reads")
def test_one_warning_per_customer_and_a_second_run_opens_nothing(
    make_customer: Any,
) -> None:
    customer = make_customer()
    make_snapshot(customer, DAY, days_since_last_purchase=30, churn_risk=0.9)
    first = _evaluate()
    assert (first.opened, first.updated, first.closed) == (1, 0, 0)
    second = _evaluate()
    assert (second.opened, second.updated, second.closed) == (0, 0, 0)
    assert ChurnWarning.objects.count() == 1
    assert CareTask.objects.count() == 1
    # In the order that names the main reason (PostgreSQL's jsonb keeps none).
    assert ChurnWarning.objects.get().signal_keys() == ["no_purchase", "churn_risk"]


@pytest.mark.usefixtures("reads")
def test_a_new_signal_is_added_to_the_open_warning(make_customer: Any) -> None:
    customer = make_customer()
    make_snapshot(
        customer,
        DAY,
        days_since_last_purchase=30,
        last_purchase=DAY - dt.timedelta(days=30),
    )
    _evaluate()
    later = DAY + dt.timedelta(days=1)
    make_snapshot(
        customer,
        later,
        days_since_last_purchase=31,
        last_purchase=DAY - dt.timedelta(days=30),
        churn_risk=0.8,
    )
    run = _evaluate(later)
    assert (run.opened, run.updated, run.closed) == (0, 1, 0)
    warning = ChurnWarning.objects.get()
    assert warning.signals["no_purchase"]["as_of"] == "2026-11-20"
    assert warning.signals["churn_risk"]["as_of"] == "2026-11-21"
    assert warning.opened_as_of == DAY and warning.as_of == later


def test_a_purchase_after_the_warning_wins_the_customer_back(
    make_customer: Any,
) -> None:
    customer = make_customer()
    make_snapshot(
        customer,
        DAY,
        days_since_last_purchase=30,
        last_purchase=DAY - dt.timedelta(days=30),
    )
    _evaluate()
    later = DAY + dt.timedelta(days=3)
    make_snapshot(
        customer,
        later,
        days_since_last_purchase=1,
        last_purchase=later - dt.timedelta(days=1),
    )
    run = _evaluate(later)
    assert (run.opened, run.updated, run.closed) == (0, 0, 1)
    warning = ChurnWarning.objects.get()
    assert warning.status == WarningStatus.WON_BACK
    assert warning.closed_at is not None
    assert CareTask.objects.get().status == TaskStatus.OBSOLETE


def test_settings_change_the_thresholds(make_customer: Any) -> None:
    CareSettings.objects.create(pk=1, no_purchase_days=14)
    customer = make_customer()
    make_snapshot(customer, DAY, days_since_last_purchase=14)
    _evaluate()
    assert _signals(customer)["no_purchase"]["days"] == 14


@pytest.mark.usefixtures("reads")
def test_tasks_go_to_the_manager_else_the_service_team_in_turn(
    make_customer: Any, users: dict[str, Any], make_user: Any
) -> None:
    from guanxi.access.choices import Role

    second = make_user(Role.SERVICE, username="service-2")
    managed = make_customer(assigned_manager=users["account_manager"])
    make_snapshot(
        managed, DAY, days_since_last_purchase=40, quadrant="star", churn_risk=0.9
    )
    loose = [make_customer() for _ in range(3)]
    for customer in loose:
        make_snapshot(customer, DAY, days_since_last_purchase=40)
    _evaluate()
    task = CareTask.objects.get(customer=managed)
    assert task.owner == users["account_manager"] and not task.round_robin
    assert task.priority == Priority.URGENT
    assert task.remedy == Remedy.MANAGER_CALL
    assert task.due_on == DAY + dt.timedelta(days=1)
    owners = [CareTask.objects.get(customer=c).owner for c in loose]
    assert owners == [users["service"], second, users["service"]]
    assert CareTask.objects.get(customer=loose[0]).priority == Priority.LOW
    assert CareTask.objects.get(customer=loose[0]).remedy == Remedy.COUPON
    # The next run goes on where the last one stopped.
    nxt = make_customer()
    later = DAY + dt.timedelta(days=1)
    make_snapshot(nxt, later, days_since_last_purchase=40)
    _evaluate(later)
    assert CareTask.objects.get(customer=nxt).owner == second


def test_no_run_for_the_date_is_refused(make_customer: Any) -> None:
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        warnings_evaluate()
    assert (
        caught.value.message
        == "There is no scoring run yet: score the customers first."
    )
    make_run(DAY)
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        warnings_evaluate(as_of=DAY - dt.timedelta(days=1))
    assert caught.value.message == (
        "There is no finished scoring run as of 2026-11-19: score that day first."
    )
    assert ChurnWarning.objects.count() == 0


def test_the_command_prints_one_json_object(make_customer: Any) -> None:
    customer = make_customer()
    make_snapshot(customer, DAY, days_since_last_purchase=30)
    make_run(DAY)
    out = io.StringIO()
    call_command("warnings", "run", "--as-of", "2026-11-20", "--json", stdout=out)
    printed = json.loads(out.getvalue())
    assert set(printed) == {"opened", "updated", "closed", "seconds"}
    assert (printed["opened"], printed["updated"], printed["closed"]) == (1, 0, 0)
    out = io.StringIO()
    call_command("warnings", "run", "--json", stdout=out)
    assert json.loads(out.getvalue())["opened"] == 0


def test_a_scoring_run_evaluates_the_warnings(make_customer: Any) -> None:
    from guanxi.insights.services import run_followups

    customer = make_customer()
    make_snapshot(customer, DAY, days_since_last_purchase=30)
    run = make_run(DAY)
    run_followups.send(sender=None, run=run, progress=None)
    assert "no_purchase" in _signals(customer)
