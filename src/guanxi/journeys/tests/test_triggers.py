"""Each trigger picks whom it should on its day (stage change, warning
opened, task closed, anniversary, expected next purchase, a schedule over a
segment, entering and leaving a segment), and the steps that had no test:
wait until a weekday and time, create a task."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from guanxi.care.models import CareTask, ChurnWarning
from guanxi.care.services import task_close
from guanxi.core.errors import ValidationFailed
from guanxi.journeys.models import Enrolment, StepRun
from guanxi.journeys.services import journeys_run
from guanxi.journeys.tests.world import START, at, buy, scoring, stage_changes
from guanxi.segments.models import Segment

pytestmark = pytest.mark.django_db

TAG = [{"id": "tag", "type": "add_tag", "tag": "picked"}]


def _entered() -> set[int]:
    return set(Enrolment.objects.values_list("customer_id", flat=True))


def _journey(make_journey: Any, trigger: dict[str, Any], **values: Any) -> Any:
    with time_machine.travel(at(START, 1), tick=False):
        return make_journey(
            {"trigger": trigger, "steps": values.pop("steps", TAG)},
            holdout_percent=0,
            **values,
        )


def _run(day: dt.date = START, hour: int = 12) -> Any:
    with time_machine.travel(at(day, hour), tick=False):
        return journeys_run()


def test_stage_change_picks_the_changes_of_the_day_to_the_stage(
    make_customer: Any, make_journey: Any
) -> None:
    growing, lapsed, earlier = (make_customer() for _ in range(3))
    stage_changes(START, [growing.pk], "growing")
    stage_changes(START, [lapsed.pk], "lapsed")
    stage_changes(START - dt.timedelta(days=1), [earlier.pk], "growing")
    _journey(
        make_journey, {"type": "event", "event": "stage_change", "stage": "growing"}
    )
    assert _run().enrolled == 1
    assert _entered() == {growing.pk}


def test_warning_opened_and_task_closed(
    users: dict[str, Any], make_customer: Any, make_journey: Any
) -> None:
    warned, old, closer, open_task = (make_customer() for _ in range(4))
    for customer, day in ((warned, START), (old, START - dt.timedelta(days=3))):
        ChurnWarning.objects.create(
            customer=customer, status="open", opened_as_of=day, as_of=day
        )
    _journey(make_journey, {"type": "event", "event": "warning_opened"})
    _journey(make_journey, {"type": "event", "event": "task_closed"}, slug="closed")
    tasks = {
        c.pk: CareTask.objects.create(customer=c, due_on=START, instructions="call")
        for c in (closer, open_task)
    }
    with time_machine.travel(at(START, 11), tick=False):
        task_close(actor=users["admin"], task_id=tasks[closer.pk].pk, outcome="reached")
    _run()
    picked = set(Enrolment.objects.values_list("journey__slug", "customer_id"))
    assert picked == {("test", warned.pk), ("closed", closer.pk)}


def test_anniversary_of_the_first_purchase(
    users: dict[str, Any], make_customer: Any, make_journey: Any
) -> None:
    year_ago, two_years, other_day, this_year = (make_customer() for _ in range(4))
    buy(users, year_ago, at(dt.date(2026, 3, 3)))
    buy(users, two_years, at(dt.date(2025, 3, 3)))
    buy(users, other_day, at(dt.date(2026, 3, 4)))
    buy(users, this_year, at(dt.date(2027, 1, 3)))
    _journey(make_journey, {"type": "date", "field": "first_purchase_anniversary"})
    _run()
    assert _entered() == {year_ago.pk, two_years.pk}
    assert set(Enrolment.objects.values_list("entry_key", flat=True)) == {"once"}


def test_expected_next_purchase_from_the_latest_scoring(
    make_customer: Any, make_journey: Any
) -> None:
    due, later, no_rhythm = (make_customer() for _ in range(3))
    scored = START - dt.timedelta(days=3)
    scoring(
        scored,
        {
            due.pk: {"mean_gap_days": 20.0, "days_since_last_purchase": 17},
            later.pk: {"mean_gap_days": 20.0, "days_since_last_purchase": 10},
            no_rhythm.pk: {"mean_gap_days": None, "days_since_last_purchase": 17},
        },
    )
    _journey(make_journey, {"type": "date", "field": "expected_next_purchase"})
    _run()
    assert _entered() == {due.pk}
    _run(START + dt.timedelta(days=7))
    assert _entered() == {due.pk, later.pk}


def test_a_schedule_over_a_segment_enrols_its_members_once_a_week(
    make_customer: Any, make_journey: Any
) -> None:
    shanghai = [make_customer(city="上海") for _ in range(3)]
    make_customer(city="北京")
    segment = Segment.objects.create(
        name="上海客户",
        rules={"all": [{"field": "city", "op": "eq", "value": "上海"}]},
    )
    _journey(
        make_journey,
        {"type": "schedule", "segment": segment.pk, "every": "week"},
        entry_rule="per_period",
        entry_period="week",
    )
    assert _run().enrolled == 3
    assert _run(START + dt.timedelta(days=2)).enrolled == 0  # the same week
    assert _run(START + dt.timedelta(days=5)).enrolled == 3  # the next week
    assert _entered() == {c.pk for c in shanghai}


def _star(customers: list[Any], day: dt.date, stars: set[int]) -> None:
    scoring(
        day,
        {c.pk: {"quadrant": "star" if c.pk in stars else "basic"} for c in customers},
    )


def test_entering_and_leaving_a_segment_between_two_scoring_runs(
    make_customer: Any, make_journey: Any
) -> None:
    stays, joins, leaves, never = customers = [make_customer() for _ in range(4)]
    star = Segment.objects.get(name="明星客户 Star")
    _journey(
        make_journey, {"type": "event", "event": "segment_entry", "segment": star.pk}
    )
    _journey(
        make_journey,
        {"type": "event", "event": "segment_exit", "segment": star.pk},
        slug="left",
    )
    before = START - dt.timedelta(days=30)
    _star(customers, before, {stays.pk, leaves.pk})
    assert _run(before).enrolled == 0  # one run: nothing to compare
    _star(customers, START, {stays.pk, joins.pk})
    assert _run(START + dt.timedelta(days=1)).enrolled == 0  # no run that day
    _run()
    picked = set(Enrolment.objects.values_list("journey__slug", "customer_id"))
    assert picked == {("test", joins.pk), ("left", leaves.pk)}
    del never


def test_entering_a_segment_without_score_rules_is_refused(
    make_journey: Any,
) -> None:
    segment = Segment.objects.create(
        name="上海", rules={"all": [{"field": "city", "op": "eq", "value": "上海"}]}
    )
    with pytest.raises(ValidationFailed) as error:
        make_journey(
            {
                "trigger": {
                    "type": "event",
                    "event": "segment_exit",
                    "segment": segment.pk,
                },
                "steps": TAG,
            }
        )
    assert error.value.message == (
        "Trigger: entering or leaving is read from the scoring runs: choose a "
        "segment with a rule on the scores."
    )
    with pytest.raises(ValidationFailed) as error:
        make_journey(
            {
                "trigger": {
                    "type": "event",
                    "event": "segment_entry",
                    "segment": 99999,
                },
                "steps": TAG,
            }
        )
    assert error.value.message == "Trigger: no such segment."


def test_wait_until_a_weekday_and_time_then_a_task(
    users: dict[str, Any], make_customer: Any, make_journey: Any
) -> None:
    managed = make_customer(assigned_manager=users["account_manager"])
    team = make_customer()
    stage_changes(START, [managed.pk, team.pk], "at_risk")
    _journey(
        make_journey,
        {"type": "event", "event": "stage_change", "stage": "at_risk"},
        steps=[
            # START is a Wednesday: Friday at 09:30 is two days later.
            {
                "id": "friday",
                "type": "wait_until",
                "weekday": 4,
                "time": "09:30",
                "next": "call",
            },
            {"id": "call", "type": "create_task", "note": "请致电问候", "due_days": 2},
        ],
    )
    _run()
    due = set(Enrolment.objects.values_list("next_due_at", flat=True))
    assert due == {at(START + dt.timedelta(days=2), 9).replace(minute=30)}
    _run(START + dt.timedelta(days=2), 9)
    assert not CareTask.objects.exists()  # 09:00: not yet
    _run(START + dt.timedelta(days=2), 10)
    tasks = set(
        CareTask.objects.values_list(
            "customer_id", "owner_id", "instructions", "due_on"
        )
    )
    assert tasks == {
        (
            managed.pk,
            users["account_manager"].pk,
            "请致电问候",
            START + dt.timedelta(days=4),
        ),
        (team.pk, None, "请致电问候", START + dt.timedelta(days=4)),
    }
    assert set(
        StepRun.objects.filter(step="call").values_list("outcome", flat=True)
    ) == {"task"}
