"""A journey's steps as the flow page shows them: each step in words, with
where it leads (both branches of a condition), how many are at it and what
it did."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from guanxi.journeys.choices import StepOutcome, TriggerDate, TriggerEvent
from guanxi.journeys.definition import step_targets


def _duration(value: dict[str, int]) -> str:
    parts = []
    if value.get("days"):
        parts.append(_("%(n)d d") % {"n": value["days"]})
    if value.get("hours"):
        parts.append(_("%(n)d h") % {"n": value["hours"]})
    if value.get("minutes"):
        parts.append(_("%(n)d min") % {"n": value["minutes"]})
    return " ".join(parts)


WEEKDAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


def trigger_text(trigger: dict[str, Any]) -> str:
    kind = trigger.get("type")
    if kind == "event" and trigger.get("segment"):
        return _("When: %(event)s %(segment)s") % {
            "event": TriggerEvent(trigger["event"]).label,
            "segment": trigger["segment"],
        }
    if kind == "event":
        return _("When: %(event)s") % {"event": TriggerEvent(trigger["event"]).label}
    if kind == "date":
        label = TriggerDate(trigger["field"]).label
        if trigger.get("days"):
            return _("On a date: %(field)s (%(days)d)") % {
                "field": label,
                "days": trigger["days"],
            }
        return _("On a date: %(field)s") % {"field": label}
    return _("Every %(every)s: the members of segment %(segment)s") % {
        "every": {
            "day": pgettext("every", "day"),
            "week": pgettext("every", "week"),
            "month": pgettext("every", "month"),
        }[trigger["every"]],
        "segment": trigger["segment"],
    }


def step_text(step: dict[str, Any]) -> str:
    kind = step["type"]
    if kind == "wait":
        return _("Wait %(duration)s") % {"duration": _duration(step["duration"])}
    if kind == "wait_until":
        return _("Wait until %(weekday)s %(time)s") % {
            "weekday": _(WEEKDAYS[step["weekday"]]),
            "time": step["time"],
        }
    if kind == "wait_event":
        return _("Wait for a purchase, at most %(duration)s") % {
            "duration": _duration(step["timeout"])
        }
    if kind == "condition":
        return _("If %(field)s %(op)s %(value)s") % {
            "field": step["field"],
            "op": step["op"],
            "value": step["value"],
        }
    if kind == "send_message":
        return _("Send the template %(name)s") % {"name": step["template"]}
    if kind == "create_task":
        return _("Task: %(note)s") % {"note": step["note"]}
    if kind == "add_tag":
        return _("Add the tag %(tag)s") % {"tag": step["tag"]}
    if kind == "remove_tag":
        return _("Remove the tag %(tag)s") % {"tag": step["tag"]}
    if kind == "issue_coupon":
        return _("Issue the coupon %(slug)s") % {"slug": step["coupon"]}
    if kind == "recommend":
        return _("Pick a product they often buy together")
    if kind == "send_survey":
        return _("Send the survey %(kind)s") % {"kind": step["survey"]}
    return _("Leave the journey")


def flow(
    steps: dict[str, dict[str, Any]], counts: dict[str, Any]
) -> list[dict[str, Any]]:
    """The steps in order, each with its words, its ways on and its counts."""
    at = counts.get("at", {})
    rows = []
    for sid, step in steps.items():
        ways = []
        targets = step_targets(step)
        if step["type"] == "condition":
            labels = [_("yes"), _("no")]
        elif step["type"] == "wait_event":
            labels = [_("bought"), _("timed out")]
        elif step["type"] == "recommend":
            labels = [_("found one"), _("none")]
        else:
            labels = [""]
        for label, target in zip(labels, targets, strict=False):
            if step["type"] == "wait_event" and label == _("timed out") and not target:
                target = step.get("next", "")
            ways.append({"label": label, "to": target or "", "end": not target})
        ran = counts.get(f"ran:{sid}", {})
        rows.append(
            {
                "id": sid,
                "type": step["type"],
                "text": step_text(step),
                "branch": step["type"] in ("condition", "recommend"),
                "ways": ways,
                "at": at.get(sid, 0),
                "ran": [
                    {"label": StepOutcome(k).label, "n": n}
                    for k, n in sorted(ran.items())
                ],
            }
        )
    return rows
