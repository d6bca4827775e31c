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
from django.utils import timezone, translation

from guanxi.care.choices import Priority, Remedy, TaskStatus, WarningStatus
from guanxi.care.models import CareSettings, CareTask, ChurnWarning
from guanxi.care.services import warnings_evaluate
from guanxi.core.errors import ValidationFailed
from guanxi.customers.models import Interaction
from guanxi.insights.tests.factories import make_run, make_snapshot

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(hour), tzinfo=timezone.get_current_timezone()
    )


def _interact(
    customer: Any, day: dt.date, kind: str = "visit", note: str = "", hour: int = 12
) -> None:
    Interaction.objects.create(
        customer=customer, kind=kind, occurred_at=_at(day, hour), note=note
    )


def _signals(customer: Any) -> dict[str, Any]:
    warning = ChurnWarning.objects.filter(customer=customer, status="open").first()
    return {} if warning is None else dict(warning.signals)


@pytest.fixture(params=["set_based", "row_by_row"])
def reads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of writing what an evaluation finds: set-based (the daily
    evaluation) and row by row (as events and survey answers are written)."""
    from guanxi.care.tests.reference import row_by_row

    if request.param == "row_by_row":
        row_by_row(monkeypatch)
    return str(request.param)


def _evaluate(day: dt.date = DAY) -> Any:
    make_run(day)
    return warnings_evaluate(as_of=day)


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


def _quadrant(quadrant: str, **values: Any) -> None:
    from guanxi.care.models import QuadrantThresholds

    QuadrantThresholds.objects.create(quadrant=quadrant, **values)


@pytest.mark.parametrize(("days", "fires"), [(13, False), (14, True)])
def test_a_quadrant_has_its_own_no_purchase_days(
    make_customer: Any, days: int, fires: bool
) -> None:
    _quadrant("star", no_purchase_days=14)
    _quadrant("basic", no_purchase_days=60)
    star = make_customer()
    basic = make_customer()
    cow = make_customer()
    make_snapshot(
        star, DAY, quadrant="star", days_since_last_purchase=days, mean_gap_days=None
    )
    make_snapshot(
        basic, DAY, quadrant="basic", days_since_last_purchase=59, mean_gap_days=None
    )
    make_snapshot(
        cow, DAY, quadrant="cash_cow", days_since_last_purchase=30, mean_gap_days=None
    )
    _evaluate()
    assert ("no_purchase" in _signals(star)) is fires
    assert _signals(basic) == {}  # 59 < 60: its own threshold, not the global 30
    assert "no_purchase" in _signals(cow)  # no override: the global 30


def test_quadrant_thresholds_for_rhythm_p_alive_and_risk(make_customer: Any) -> None:
    _quadrant("star", rhythm_factor=2.0, p_alive_below=0.5, churn_risk_from=0.4)
    star = make_customer()
    basic = make_customer()
    for customer, quadrant in ((star, "star"), (basic, "basic")):
        make_snapshot(
            customer, DAY, quadrant=quadrant, days_since_last_purchase=11,
            mean_gap_days=5.0, p_alive=0.45, churn_risk=0.4,
        )  # fmt: skip
    _evaluate()
    assert set(_signals(star)) == {"past_rhythm", "low_p_alive", "churn_risk"}
    assert _signals(star)["past_rhythm"]["k"] == 2.0
    assert _signals(basic) == {}


@pytest.mark.parametrize(("count", "fires"), [(1, False), (2, True)])
def test_a_quadrant_has_its_own_complaints_threshold(
    make_customer: Any, count: int, fires: bool
) -> None:
    _quadrant("star", complaints_per_month_above=1)
    star = make_customer()
    basic = make_customer()
    make_snapshot(star, DAY, quadrant="star")
    make_snapshot(basic, DAY, quadrant="basic")
    for customer in (star, basic):
        for i in range(count):
            _interact(customer, dt.date(2026, 11, 1 + i), kind="complaint")
    _evaluate()
    assert ("complaints" in _signals(star)) is fires
    assert _signals(basic) == {}


@pytest.mark.parametrize(("quiet", "fires"), [(2, False), (3, True)])
def test_a_quadrant_has_its_own_quiet_days(
    make_customer: Any, quiet: int, fires: bool
) -> None:
    _quadrant("star", quiet_days=3, active_window_days=5)
    star = make_customer()
    basic = make_customer()
    make_snapshot(star, DAY, quadrant="star")
    make_snapshot(basic, DAY, quadrant="basic")
    for customer in (star, basic):
        _interact(customer, DAY - dt.timedelta(days=quiet), hour=23)
    _evaluate()
    assert ("quiet" in _signals(star)) is fires
    assert _signals(basic) == {}  # the global 7 days


def test_a_quadrant_active_window_is_its_own(make_customer: Any) -> None:
    _quadrant("star", quiet_days=3, active_window_days=5)
    star = make_customer()
    basic = make_customer()
    make_snapshot(star, DAY, quadrant="star")
    make_snapshot(basic, DAY, quadrant="basic", days_since_last_purchase=5)
    # 8 days ago: beyond the star's 3 + 5 days, within basic's 7 + 30.
    for customer in (star, basic):
        _interact(customer, DAY - dt.timedelta(days=8))
    _evaluate()
    assert "quiet" not in _signals(star)
    assert "quiet" in _signals(basic)


def _week(customer: Any, last_week: int, this_week: int) -> None:
    for i in range(last_week):
        _interact(customer, DAY - dt.timedelta(days=7 + i % 7), kind="login")
    for i in range(this_week):
        _interact(customer, DAY - dt.timedelta(days=i % 7), kind="visit")


@pytest.mark.parametrize(("this_week", "fires"), [(2, False), (1, True)])
def test_week_on_week_drop_below_half(
    make_customer: Any, this_week: int, fires: bool
) -> None:
    customer = make_customer()
    make_snapshot(customer, DAY)
    _week(customer, 4, this_week)  # 0.5 × 4 = 2: at the ratio is not below it
    _evaluate()
    assert ("activity_drop" in _signals(customer)) is fires
    if fires:
        assert _signals(customer)["activity_drop"] == {
            "as_of": "2026-11-20", "this_week": 1, "last_week": 4,
        }  # fmt: skip


def test_week_on_week_edges_of_the_weeks(make_customer: Any) -> None:
    """This week is the 7 days ending with the as-of day, last week the 7
    before; a day earlier counts in neither; notes by staff do not count."""
    customer = make_customer()
    make_snapshot(customer, DAY)
    _interact(
        customer, DAY - dt.timedelta(days=7), hour=0
    )  # last week's first hour? no: its last day
    _interact(customer, DAY - dt.timedelta(days=13), hour=0)  # last week's first day
    _interact(customer, DAY - dt.timedelta(days=14), hour=23)  # before: not counted
    _interact(customer, DAY - dt.timedelta(days=6), kind="note")  # staff: not counted
    _interact(customer, DAY - dt.timedelta(days=6), hour=0)  # this week's first day
    _evaluate()
    # 1 this week, 2 last week: 1 is not below 0.5 × 2.
    assert "activity_drop" not in _signals(customer)


def test_week_on_week_needs_activity_last_week_and_a_quadrant_ratio(
    make_customer: Any,
) -> None:
    _quadrant("star", drop_ratio=0.8)
    new = make_customer()
    star = make_customer()
    basic = make_customer()
    make_snapshot(new, DAY)
    make_snapshot(star, DAY, quadrant="star")
    make_snapshot(basic, DAY, quadrant="basic")
    _week(new, 0, 0)
    _interact(new, DAY - dt.timedelta(days=20))
    for customer in (star, basic):
        _week(customer, 5, 3)  # 3 < 0.8 × 5 = 4; 3 ≥ 0.5 × 5 = 2.5
    _evaluate()
    assert "activity_drop" not in _signals(new)
    assert "activity_drop" in _signals(star)
    assert "activity_drop" not in _signals(basic)


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
