"""Bad definitions are refused with a message naming the step, and store
nothing."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.core.errors import ValidationFailed
from guanxi.journeys.definition import definition_check
from guanxi.journeys.models import Journey, JourneyVersion

EVENT = {"type": "event", "event": "first_purchase"}


def _refused(steps: Any, trigger: Any = EVENT) -> str:
    with pytest.raises(ValidationFailed) as error:
        definition_check({"trigger": trigger, "steps": steps})
    return error.value.message


def test_a_good_definition_is_normalised() -> None:
    checked = definition_check(
        {
            "trigger": EVENT,
            "steps": [
                {
                    "id": "wait",
                    "type": "wait",
                    "duration": {"hours": 24},
                    "next": "ask",
                },
                {
                    "id": "ask",
                    "type": "condition",
                    "field": "purchase_count",
                    "op": "gte",
                    "value": 2,
                    "then": "tag",
                },
                {"id": "tag", "type": "add_tag", "tag": " loyal "},
            ],
        }
    )
    assert checked.first == "wait"
    assert checked.as_json()["steps"][1] == {
        "id": "ask",
        "type": "condition",
        "field": "purchase_count",
        "op": "gte",
        "value": 2,
        "then": "tag",
        "else": "",
    }
    assert checked.steps["tag"] == {
        "id": "tag",
        "type": "add_tag",
        "tag": "loyal",
        "next": "",
    }


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            [{"id": "w1", "type": "wait", "next": ""}],
            'Step "w1": a wait needs a duration (days, hours or minutes; at most a year).',
        ),
        (
            [{"id": "w1", "type": "wait", "duration": {"days": 0}}],
            'Step "w1": a wait needs a duration (days, hours or minutes; at most a year).',
        ),
        (
            [
                {
                    "id": "c1",
                    "type": "condition",
                    "field": "shoe_size",
                    "op": "eq",
                    "value": 1,
                }
            ],
            'Step "c1": unknown field "shoe_size".',
        ),
        (
            [
                {"id": "a", "type": "wait", "duration": {"days": 1}, "next": "b"},
                {"id": "b", "type": "add_tag", "tag": "x", "next": "a"},
            ],
            'Step "a": the steps loop back to it.',
        ),
        (
            [{"id": "a", "type": "add_tag", "tag": "x", "next": "nowhere"}],
            'Step "a": the next step "nowhere" does not exist.',
        ),
        (
            [{"id": "gift", "type": "issue_coupon"}],
            'Step "gift": choose a coupon.',
        ),
        (
            [{"id": "ask", "type": "send_survey", "survey": "mood"}],
            'Step "ask": choose a survey (nps, csat, churn, needs).',
        ),
        (
            [{"id": "pick", "type": "recommend", "next": "x", "none_next": "gone"}],
            'Step "pick": the next step "x" does not exist.',
        ),
        (
            [
                {
                    "id": "why",
                    "type": "condition",
                    "field": "task_reason",
                    "op": "eq",
                    "value": "weather",
                }
            ],
            'Step "why": unknown reason "weather" (use price, service, product, '
            "competitor, moved, other).",
        ),
        (
            [{"id": "a", "type": "teleport"}],
            'Step "a": unknown step type "teleport".',
        ),
        (
            [{"id": "a", "type": "exit"}, {"id": "a", "type": "exit"}],
            'Step "a": the id is used by another step.',
        ),
        (
            [{"id": "e", "type": "wait_event", "event": "purchase", "next": ""}],
            'Step "e": a wait for an event needs a timeout (days, hours or minutes; '
            "at most a year).",
        ),
        (
            [
                {
                    "id": "c",
                    "type": "condition",
                    "field": "churn_risk",
                    "op": "has",
                    "value": 1,
                }
            ],
            'Step "c": "has" does not apply to churn_risk (use eq, ne, gt, gte, lt, lte).',
        ),
        (
            [{"type": "exit"}],
            "Step 1: an id is 1 to 40 lower-case letters, digits, - or _.",
        ),
        ([], "A journey needs at least one step."),
    ],
)
def test_bad_steps_are_refused_naming_the_step(steps: Any, message: str) -> None:
    assert _refused(steps) == message


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ({"type": "event", "event": "moon"}, 'Trigger: unknown event "moon".'),
        (
            {"type": "event", "event": "segment_entry"},
            "Trigger: entering or leaving needs a segment.",
        ),
        (
            {"type": "date", "field": "days_after_last_purchase"},
            "Trigger: the days after the last purchase are a number from 1 to 3650.",
        ),
        ({"type": "cron"}, "Trigger: choose an event, a date or a schedule."),
    ],
)
def test_bad_triggers_are_refused(trigger: Any, message: str) -> None:
    assert _refused([{"id": "x", "type": "exit"}], trigger) == message


def test_a_refused_journey_stores_nothing(users: dict[str, Any]) -> None:
    from guanxi.journeys.services import journey_create

    with pytest.raises(ValidationFailed) as error:
        journey_create(
            actor=users["operations"],
            slug="bad",
            name_zh="坏",
            name_en="Bad",
            definition={
                "trigger": EVENT,
                "steps": [{"id": "hi", "type": "send_message", "template": "missing"}],
            },
        )
    assert error.value.message == 'Step "hi": no stored template is named "missing".'
    assert not Journey.objects.exists()
    assert not JourneyVersion.objects.exists()


def test_the_new_steps_read_in_the_flow() -> None:
    from guanxi.journeys.presenters import flow, trigger_text

    checked = definition_check(
        {
            "trigger": {"type": "event", "event": "segment_entry", "segment": 5},
            "steps": [
                {"id": "pick", "type": "recommend", "next": "give", "none_next": ""},
                {"id": "give", "type": "issue_coupon", "coupon": "gift", "next": "ask"},
                {"id": "ask", "type": "send_survey", "survey": "needs"},
            ],
        }
    )
    rows = flow(checked.steps, {})
    assert [(r["text"], r["branch"], r["ways"]) for r in rows] == [
        (
            "Pick a product they often buy together",
            True,
            [
                {"label": "found one", "to": "give", "end": False},
                {"label": "none", "to": "", "end": True},
            ],
        ),
        ("Issue the coupon gift", False, [{"label": "", "to": "ask", "end": False}]),
        ("Send the survey needs", False, [{"label": "", "to": "", "end": True}]),
    ]
    assert trigger_text(checked.trigger) == "When: Entered a segment 5"
