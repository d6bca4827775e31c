"""The journey builder's form: a journey's settings, trigger and steps as
flat form fields (``s-<n>-<field>`` per step, in order) and back.

The form turns what was typed into a definition and leaves every check to
``definition.definition_check``, so the builder, the API and the services
refuse the same things with the same words. A value that is not a number
where one is wanted is passed on as typed, for the check to name.

A step's way on is chosen from the other steps: "the following step" (the
next in the list; after the last one the journey ends), "end", or a step
by id — so an ordered list reads as a flow, and a branch can jump.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from guanxi.journeys.choices import EntryRule, Period
from guanxi.journeys.definition import CONDITION_FIELDS

__all__ = [
    "BUILDER_TYPES",
    "END",
    "FOLLOWING",
    "BuilderForm",
    "blank_step",
    "form_from_journey",
    "form_from_post",
]

#: The step types the builder offers: every type a definition may hold.
BUILDER_TYPES = (
    "wait",
    "wait_until",
    "wait_event",
    "condition",
    "send_message",
    "create_task",
    "add_tag",
    "remove_tag",
    "issue_coupon",
    "recommend",
    "send_survey",
    "exit",
)
#: Ways on: the following step in the list, or the end of the journey.
FOLLOWING = ""
END = "-end-"
MAX_STEPS = 50
STEP_FIELDS = (
    "id",
    "type",
    "next",
    "days",
    "hours",
    "minutes",
    "weekday",
    "time",
    "timeout_next",
    "field",
    "op",
    "value",
    "then",
    "else",
    "template",
    "note",
    "due_days",
    "tag",
    "coupon",
    "survey",
    "none_next",
)
#: Where each way on of a step type is kept.
WAYS = {
    "condition": ("then", "else"),
    "wait_event": ("next", "timeout_next"),
    "recommend": ("next", "none_next"),
    "exit": (),
}


@dataclass
class BuilderForm:
    """What the builder shows: the settings, the trigger and the steps as
    typed (strings), and the definition they make."""

    slug: str = ""
    name_zh: str = ""
    name_en: str = ""
    holdout_percent: str = "10"
    entry_rule: str = EntryRule.ONCE
    entry_period: str = Period.YEAR
    exit_on_purchase: bool = False
    trigger: dict[str, str] = field(
        default_factory=lambda: {"type": "event", "event": "customer_created"}
    )
    steps: list[dict[str, str]] = field(default_factory=list)

    def holdout(self) -> Any:
        text = self.holdout_percent.strip()
        return int(text) if text.isdigit() else text

    def definition(self) -> dict[str, Any]:
        return {
            "trigger": _trigger(self.trigger),
            "steps": [
                _step(row, self.steps[i + 1]["id"] if i + 1 < len(self.steps) else "")
                for i, row in enumerate(self.steps)
            ],
        }


def _number(text: str) -> Any:
    """An int or float when ``text`` is one, else the text (for the check)."""
    value = text.strip()
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def _trigger(row: dict[str, str]) -> dict[str, Any]:
    kind = row.get("type", "")
    if kind == "event":
        out: dict[str, Any] = {"type": "event", "event": row.get("event", "")}
        if row.get("stage"):
            out["stage"] = row["stage"]
        if row.get("event") in ("segment_entry", "segment_exit"):
            out["segment"] = _number(row.get("segment", ""))
        return out
    if kind == "date":
        out = {"type": "date", "field": row.get("field", "")}
        if row.get("field") in ("days_after_last_purchase", "repurchase_due"):
            out["days"] = _number(row.get("days", ""))
        return out
    if kind == "schedule":
        return {
            "type": "schedule",
            "segment": _number(row.get("segment", "")),
            "every": row.get("every", ""),
        }
    return {"type": kind}


def _way(value: str, following: str) -> str:
    if value == END:
        return ""
    return value or following


def _duration(row: dict[str, str]) -> Any:
    out = {}
    for unit in ("days", "hours", "minutes"):
        if row.get(unit, "").strip():
            out[unit] = _number(row[unit])
    return out


def _step(row: dict[str, str], following: str) -> dict[str, Any]:
    kind = row.get("type", "")
    step: dict[str, Any] = {"id": row.get("id", "").strip(), "type": kind}
    nxt = _way(row.get("next", ""), following)
    if kind == "wait":
        step.update(duration=_duration(row), next=nxt)
    elif kind == "wait_until":
        step.update(
            weekday=_number(row.get("weekday", "")), time=row.get("time", ""), next=nxt
        )
    elif kind == "wait_event":
        step.update(
            event="purchase",
            timeout=_duration(row),
            next=nxt,
            timeout_next=_way(row.get("timeout_next", ""), following),
        )
    elif kind == "condition":
        name = row.get("field", "")
        kind_of = CONDITION_FIELDS.get(name)
        raw = row.get("value", "")
        value: Any = raw
        if kind_of == "number":
            value = _number(raw)
        elif kind_of == "bool":
            value = {"true": True, "false": False}.get(raw.strip().lower(), raw)
        step.update(
            field=name,
            op=row.get("op", ""),
            value=value,
            then=_way(row.get("then", ""), following),
            **{"else": _way(row.get("else", ""), following)},
        )
    elif kind == "send_message":
        step.update(template=row.get("template", ""), next=nxt)
    elif kind == "create_task":
        step.update(
            note=row.get("note", ""),
            due_days=_number(row.get("due_days", "") or "1"),
            next=nxt,
        )
    elif kind in ("add_tag", "remove_tag"):
        step.update(tag=row.get("tag", ""), next=nxt)
    elif kind == "issue_coupon":
        step.update(coupon=row.get("coupon", "").strip(), next=nxt)
    elif kind == "recommend":
        step.update(next=nxt, none_next=_way(row.get("none_next", ""), following))
    elif kind == "send_survey":
        step.update(survey=row.get("survey", ""), next=nxt)
    return step


def blank_step(number: int) -> dict[str, str]:
    row = dict.fromkeys(STEP_FIELDS, "")
    row.update(id=f"step{number}", type="wait", days="1")
    return row


def form_from_post(post: Any) -> tuple[BuilderForm, str]:
    """The form as posted, after the editing action (add, remove, move a
    step); and the action (``save``, ``check`` or an edit)."""
    try:
        count = min(int(post.get("steps", "0")), MAX_STEPS)
    except ValueError:
        count = 0
    steps = [
        {name: str(post.get(f"s-{i}-{name}", "")) for name in STEP_FIELDS}
        for i in range(count)
    ]
    form = BuilderForm(
        slug=str(post.get("slug", "")).strip(),
        name_zh=str(post.get("name_zh", "")),
        name_en=str(post.get("name_en", "")),
        holdout_percent=str(post.get("holdout_percent", "")),
        entry_rule=str(post.get("entry_rule", "")),
        entry_period=str(post.get("entry_period", "")),
        exit_on_purchase=post.get("exit_on_purchase") == "on",
        trigger={
            name: str(post.get(f"t-{name}", ""))
            for name in ("type", "event", "stage", "field", "days", "segment", "every")
        },
        steps=steps,
    )
    action = str(post.get("action", "check"))
    verb, _sep, where = action.partition(":")
    at = int(where) if where.isdigit() and int(where) < len(steps) else None
    if verb == "add" and len(steps) < MAX_STEPS:
        steps.append(blank_step(len(steps) + 1))
    elif verb == "remove" and at is not None:
        del steps[at]
    elif verb == "up" and at:
        steps[at - 1], steps[at] = steps[at], steps[at - 1]
    elif verb == "down" and at is not None and at + 1 < len(steps):
        steps[at], steps[at + 1] = steps[at + 1], steps[at]
    return form, verb


def _way_back(value: str, following: str) -> str:
    if not value:
        return FOLLOWING if not following else END
    return FOLLOWING if value == following else value


def form_from_journey(journey: Any) -> BuilderForm:
    """A stored journey in the builder's terms."""
    definition = (
        journey.current_version.definition
        if journey.current_version is not None
        else {"trigger": {}, "steps": []}
    )
    trigger = {k: str(v) for k, v in definition["trigger"].items()}
    items = definition["steps"]
    steps = []
    for i, step in enumerate(items):
        following = items[i + 1]["id"] if i + 1 < len(items) else ""
        row = dict.fromkeys(STEP_FIELDS, "")
        row.update(id=step["id"], type=step["type"])
        for key in (
            "weekday",
            "time",
            "field",
            "op",
            "template",
            "note",
            "tag",
            "coupon",
            "survey",
        ):
            if key in step:
                row[key] = str(step[key])
        if "due_days" in step:
            row["due_days"] = str(step["due_days"])
        if "value" in step:
            value = step["value"]
            row["value"] = str(value).lower() if isinstance(value, bool) else str(value)
        for unit, amount in (step.get("duration") or step.get("timeout") or {}).items():
            row[unit] = str(amount)
        for key in WAYS.get(step["type"], ("next",)):
            row[key] = _way_back(step.get(key) or "", following)
        steps.append(row)
    return BuilderForm(
        slug=journey.slug,
        name_zh=journey.name_zh,
        name_en=journey.name_en,
        holdout_percent=str(journey.holdout_percent),
        entry_rule=journey.entry_rule,
        entry_period=journey.entry_period,
        exit_on_purchase=journey.exit_on_purchase,
        trigger=trigger,
        steps=steps,
    )
