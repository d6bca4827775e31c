"""A journey's definition — its trigger and steps as JSON — checked before it
is stored: every refusal names the step (or the trigger) and what is wrong.

Shape::

    {"trigger": {"type": "event", "event": "first_purchase"},
     "steps": [
        {"id": "wait1", "type": "wait", "duration": {"hours": 24}, "next": "hi"},
        {"id": "hi", "type": "send_message", "template": "checkin"}]}

The first step is where a customer starts; a step without ``next`` (or a
condition's missing branch) ends the journey. Step types: ``wait``
(``duration``), ``wait_until`` (``weekday`` 0–6 from Monday, ``time``
HH:MM), ``wait_event`` (``event`` purchase, ``timeout``, ``next``,
``timeout_next``), ``condition`` (``field``, ``op``, ``value``, ``then``,
``else``), ``send_message`` (``template``: a stored template's name),
``create_task`` (``note``, ``due_days``), ``add_tag`` / ``remove_tag``
(``tag``), ``issue_coupon`` (``coupon``: a coupon definition's slug; its
code is ``coupon_code`` in the messages sent after it), ``recommend``
(``next``, ``none_next``: the best "bought A → often also B" product is
``product`` in the messages sent after it), ``send_survey`` (``survey``: a
survey kind), ``exit``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from guanxi.care.choices import LeaveReason
from guanxi.core.errors import ValidationFailed
from guanxi.insights.choices import Stage
from guanxi.journeys.choices import TriggerDate, TriggerEvent
from guanxi.surveys.choices import SurveyKind

__all__ = [
    "CONDITION_FIELDS",
    "SCORE_FIELDS",
    "Definition",
    "StepRefused",
    "definition_check",
    "duration_of",
    "step_targets",
]

STEP_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_STEPS = 50
MAX_DAYS = 366
NOTE_MAX = 500

#: Condition fields: profile, purchases, scores (the latest scoring run),
#: tags and what the customer did since entering. name -> kind.
PROFILE_FIELDS = {
    "city": "text",
    "gender": "text",
    "preferred_channel": "text",
    "birth_month": "number",
    "purchase_count": "number",
    "purchase_total": "number",
    "has_manager": "bool",
    "first_order_below_average": "bool",
}
SCORE_FIELDS = {
    "stage": "text",
    "quadrant": "text",
    "rfm_segment": "text",
    "churn_risk": "number",
    "p_alive": "number",
    "value_score": "number",
    "value_vs_average": "number",
}
OTHER_FIELDS = {
    "tag": "tag",
    "purchased_since_entry": "bool",
    "survey_answered_since_entry": "bool",
    "task_reason": "text",
}
CONDITION_FIELDS = {**PROFILE_FIELDS, **SCORE_FIELDS, **OTHER_FIELDS}
OPS = {
    "text": ("eq", "ne"),
    "number": ("eq", "ne", "gt", "gte", "lt", "lte"),
    "bool": ("is",),
    "tag": ("has", "has_not"),
}
STEP_TYPES = (
    "wait",
    "wait_until",
    "wait_event",
    "condition",
    "send_message",
    "create_task",
    "add_tag",
    "remove_tag",
    "exit",
    "issue_coupon",
    "recommend",
    "send_survey",
)
WAIT_EVENTS = ("purchase",)
SCHEDULE_EVERY = ("day", "week", "month")


@dataclass(frozen=True)
class Definition:
    """A checked definition: the trigger, the steps by id, the first step."""

    trigger: dict[str, Any]
    steps: dict[str, dict[str, Any]]
    first: str

    def as_json(self) -> dict[str, Any]:
        return {"trigger": self.trigger, "steps": list(self.steps.values())}


class StepRefused(ValidationFailed):
    """A refusal that names a step: ``step`` its id, or ``position`` (from 1)
    when its id is the fault, so an editor can show it next to the step."""

    def __init__(self, message: str, *, step: str = "", position: int = 0) -> None:
        super().__init__(message, field="definition")
        self.step = step
        self.position = position


def _step_error(step: str, message: str) -> ValidationFailed:
    return StepRefused(
        _('Step "%(step)s": %(message)s') % {"step": step, "message": message},
        step=step,
    )


def _trigger_error(message: str) -> ValidationFailed:
    return ValidationFailed(
        _("Trigger: %(message)s") % {"message": message}, field="definition"
    )


def duration_of(value: Any) -> dt.timedelta | None:
    """``{"days": n, "hours": n, "minutes": n}`` as a positive timedelta of
    at most a year; None when it is not one."""
    if not isinstance(value, dict) or not value:
        return None
    if set(value) - {"days", "hours", "minutes"}:
        return None
    parts = {}
    for unit, amount in value.items():
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            return None
        parts[unit] = amount
    total = dt.timedelta(**parts)
    if total <= dt.timedelta(0) or total > dt.timedelta(days=MAX_DAYS):
        return None
    return total


def _check_segment_event(
    event: str, trigger: dict[str, Any], segment_scored: Any
) -> dict[str, Any]:
    segment = trigger.get("segment")
    if isinstance(segment, bool) or not isinstance(segment, int):
        raise _trigger_error(_("entering or leaving needs a segment."))
    scored = segment_scored(segment)
    if scored is None:
        raise _trigger_error(_("no such segment."))
    if not scored:
        raise _trigger_error(
            _(
                "entering or leaving is read from the scoring runs: choose a "
                "segment with a rule on the scores."
            )
        )
    return {"type": "event", "event": event, "segment": segment}


def _check_trigger(
    trigger: Any, *, segment_exists: Any, segment_scored: Any
) -> dict[str, Any]:
    if not isinstance(trigger, dict):
        raise _trigger_error(_("choose an event, a date or a schedule."))
    kind = trigger.get("type")
    if kind == "event":
        event = trigger.get("event")
        if event in (TriggerEvent.SEGMENT_ENTRY, TriggerEvent.SEGMENT_EXIT):
            return _check_segment_event(event, trigger, segment_scored)
        if event not in TriggerEvent.values:
            raise _trigger_error(_('unknown event "%(event)s".') % {"event": event})
        if event == TriggerEvent.STAGE_CHANGE and trigger.get("stage"):
            if trigger["stage"] not in Stage.values:
                raise _trigger_error(
                    _('unknown stage "%(stage)s".') % {"stage": trigger["stage"]}
                )
            return {"type": "event", "event": event, "stage": trigger["stage"]}
        return {"type": "event", "event": event}
    if kind == "date":
        field = trigger.get("field")
        if field not in TriggerDate.values:
            raise _trigger_error(
                _('unknown date field "%(field)s".') % {"field": field}
            )
        if field in (
            TriggerDate.DAYS_AFTER_LAST_PURCHASE,
            TriggerDate.REPURCHASE_DUE,
        ):
            days = trigger.get("days")
            if (
                isinstance(days, bool)
                or not isinstance(days, int)
                or not (1 <= days <= 3650)
            ):
                raise _trigger_error(
                    _("the days after the last purchase are a number from 1 to 3650.")
                )
            return {"type": "date", "field": field, "days": days}
        return {"type": "date", "field": field}
    if kind == "schedule":
        every = trigger.get("every")
        if every not in SCHEDULE_EVERY:
            raise _trigger_error(_("a schedule runs every day, week or month."))
        segment = trigger.get("segment")
        if isinstance(segment, bool) or not isinstance(segment, int):
            raise _trigger_error(_("a schedule needs a segment."))
        if not segment_exists(segment):
            raise _trigger_error(_("no such segment."))
        return {"type": "schedule", "segment": segment, "every": every}
    raise _trigger_error(_("choose an event, a date or a schedule."))


def _check_condition(sid: str, step: dict[str, Any]) -> dict[str, Any]:
    field = step.get("field")
    kind = CONDITION_FIELDS.get(field) if isinstance(field, str) else None
    if kind is None:
        raise _step_error(sid, _('unknown field "%(field)s".') % {"field": field})
    op = step.get("op")
    if op not in OPS[kind]:
        raise _step_error(
            sid,
            _('"%(op)s" does not apply to %(field)s (use %(ops)s).')
            % {"op": op, "field": field, "ops": ", ".join(OPS[kind])},
        )
    value = step.get("value")
    if kind == "number" and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        raise _step_error(
            sid, _("%(field)s is compared with a number.") % {"field": field}
        )
    if kind == "bool" and not isinstance(value, bool):
        raise _step_error(sid, _("%(field)s is true or false.") % {"field": field})
    if kind in ("text", "tag") and (not isinstance(value, str) or not value.strip()):
        raise _step_error(
            sid, _("%(field)s is compared with a text.") % {"field": field}
        )
    if field == "task_reason" and value not in LeaveReason.values:
        raise _step_error(
            sid,
            _('unknown reason "%(value)s" (use %(values)s).')
            % {"value": value, "values": ", ".join(LeaveReason.values)},
        )
    return {
        "id": sid,
        "type": "condition",
        "field": field,
        "op": op,
        "value": value.strip() if isinstance(value, str) else value,
        "then": step.get("then") or "",
        "else": step.get("else") or "",
    }


def _check_coupon(sid: str, step: dict[str, Any], coupon_state: Any) -> str:
    slug = step.get("coupon")
    if not isinstance(slug, str) or not slug.strip():
        raise _step_error(sid, _("choose a coupon."))
    state = coupon_state(slug.strip())
    if state is None:
        raise _step_error(
            sid, _('no coupon is named "%(slug)s".') % {"slug": slug[:64]}
        )
    if state == "expired":
        raise _step_error(
            sid, _('the coupon "%(slug)s" has expired.') % {"slug": slug[:64]}
        )
    return slug.strip()


def _check_step(
    sid: str,
    step: dict[str, Any],
    *,
    template_exists: Any,
    coupon_state: Any = lambda slug: "active",
) -> dict[str, Any]:
    kind = step.get("type")
    if kind not in STEP_TYPES:
        raise _step_error(sid, _('unknown step type "%(type)s".') % {"type": kind})
    following = {"next": step.get("next") or ""}
    if kind == "issue_coupon":
        coupon = _check_coupon(sid, step, coupon_state)
        return {"id": sid, "type": kind, "coupon": coupon, **following}
    if kind == "recommend":
        return {
            "id": sid,
            "type": kind,
            **following,
            "none_next": step.get("none_next") or "",
        }
    if kind == "send_survey":
        if step.get("survey") not in SurveyKind.values:
            raise _step_error(
                sid,
                _("choose a survey (%(kinds)s).")
                % {"kinds": ", ".join(SurveyKind.values)},
            )
        return {"id": sid, "type": kind, "survey": step["survey"], **following}
    if kind == "wait":
        if duration_of(step.get("duration")) is None:
            raise _step_error(
                sid,
                _("a wait needs a duration (days, hours or minutes; at most a year)."),
            )
        return {"id": sid, "type": kind, "duration": step["duration"], **following}
    if kind == "wait_until":
        weekday = step.get("weekday")
        time = step.get("time")
        if isinstance(weekday, bool) or weekday not in range(7):
            raise _step_error(sid, _("the weekday is 0 (Monday) to 6 (Sunday)."))
        if not isinstance(time, str) or not re.fullmatch(
            r"([01]\d|2[0-3]):[0-5]\d", time
        ):
            raise _step_error(sid, _("the time is HH:MM."))
        return {"id": sid, "type": kind, "weekday": weekday, "time": time, **following}
    if kind == "wait_event":
        if step.get("event") not in WAIT_EVENTS:
            raise _step_error(sid, _("a wait for an event waits for a purchase."))
        if duration_of(step.get("timeout")) is None:
            raise _step_error(
                sid,
                _(
                    "a wait for an event needs a timeout (days, hours or minutes; at most a year)."
                ),
            )
        return {
            "id": sid,
            "type": kind,
            "event": step["event"],
            "timeout": step["timeout"],
            **following,
            "timeout_next": step.get("timeout_next") or "",
        }
    if kind == "condition":
        return _check_condition(sid, step)
    if kind == "send_message":
        name = step.get("template")
        if not isinstance(name, str) or not name.strip():
            raise _step_error(sid, _("choose a stored template."))
        if not template_exists(name.strip()):
            raise _step_error(
                sid, _('no stored template is named "%(name)s".') % {"name": name[:100]}
            )
        return {"id": sid, "type": kind, "template": name.strip(), **following}
    if kind == "create_task":
        note = step.get("note")
        if not isinstance(note, str) or not note.strip() or len(note) > NOTE_MAX:
            raise _step_error(
                sid,
                _("a task needs a note of at most %(max)d characters.")
                % {"max": NOTE_MAX},
            )
        due = step.get("due_days", 1)
        if isinstance(due, bool) or not isinstance(due, int) or not (0 <= due <= 90):
            raise _step_error(sid, _("a task is due in 0 to 90 days."))
        return {
            "id": sid,
            "type": kind,
            "note": note.strip(),
            "due_days": due,
            **following,
        }
    if kind in ("add_tag", "remove_tag"):
        tag = step.get("tag")
        if not isinstance(tag, str) or not tag.strip() or len(tag.strip()) > 64:
            raise _step_error(sid, _("name the tag (at most 64 characters)."))
        return {"id": sid, "type": kind, "tag": tag.strip(), **following}
    return {"id": sid, "type": "exit"}


def step_targets(step: dict[str, Any]) -> list[str]:
    """The steps ``step`` may go to ("" ends the journey)."""
    keys = {
        "condition": ("then", "else"),
        "wait_event": ("next", "timeout_next"),
        "recommend": ("next", "none_next"),
        "exit": (),
    }.get(step["type"], ("next",))
    return [step.get(k) or "" for k in keys]


def _check_graph(steps: dict[str, dict[str, Any]], first: str) -> None:
    for sid, step in steps.items():
        for target in step_targets(step):
            if target and target not in steps:
                raise _step_error(
                    sid,
                    _('the next step "%(next)s" does not exist.') % {"next": target},
                )
    # A loop: a step reached again while its own paths are being walked.
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(steps, white)

    def walk(sid: str) -> None:
        colour[sid] = grey
        for target in step_targets(steps[sid]):
            if not target:
                continue
            if colour[target] == grey:
                raise _step_error(target, _("the steps loop back to it."))
            if colour[target] == white:
                walk(target)
        colour[sid] = black

    for sid in steps:
        if colour[sid] == white:
            walk(sid)
    del first


def definition_check(
    raw: Any,
    *,
    template_exists: Any = lambda name: True,
    segment_exists: Any = lambda pk: True,
    segment_scored: Any = lambda pk: True,
    coupon_state: Any = lambda slug: "active",
) -> Definition:
    """The definition checked and normalised, or ``ValidationFailed`` naming
    the step (or the trigger) and what is wrong. The callables look things
    up: ``segment_scored`` answers None (no such segment) or whether its
    rules read the scores; ``coupon_state`` None (unknown), ``"expired"``,
    ``"off"`` or ``"active"``."""
    if not isinstance(raw, dict):
        raise ValidationFailed(
            _("A definition has a trigger and steps."), field="definition"
        )
    trigger = _check_trigger(
        raw.get("trigger"),
        segment_exists=segment_exists,
        segment_scored=segment_scored,
    )
    items = raw.get("steps")
    if not isinstance(items, list) or not items:
        raise ValidationFailed(
            _("A journey needs at least one step."), field="definition"
        )
    if len(items) > MAX_STEPS:
        raise ValidationFailed(
            _("A journey has at most %(max)d steps.") % {"max": MAX_STEPS},
            field="definition",
        )
    steps: dict[str, dict[str, Any]] = {}
    for number, item in enumerate(items, start=1):
        sid = item.get("id") if isinstance(item, dict) else None
        if not isinstance(sid, str) or not STEP_ID.match(sid):
            raise StepRefused(
                _(
                    "Step %(number)d: an id is 1 to 40 lower-case letters, digits, "
                    "- or _."
                )
                % {"number": number},
                position=number,
            )
        if sid in steps:
            raise _step_error(sid, _("the id is used by another step."))
        steps[sid] = _check_step(
            sid, item, template_exists=template_exists, coupon_state=coupon_state
        )
    first = next(iter(steps))
    _check_graph(steps, first)
    return Definition(trigger=trigger, steps=steps, first=first)
