"""The care settings as an admin edits them: every field's allowed range and
its exact message, the global values and each value quadrant's own, read
from the settings page's form (text) and checked together.

A quadrant's blank field takes the global threshold. Nothing is saved while
any field is wrong; a save records who changed which values, from what to
what (:class:`~guanxi.care.models.CareSettingsChange`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from guanxi.care.models import THRESHOLD_FIELDS, CareSettings
from guanxi.core.errors import ValidationFailed
from guanxi.insights.choices import Quadrant

__all__ = [
    "FIELDS",
    "GLOBAL_FIELDS",
    "SCRIPT_FIELDS",
    "STEP_SCRIPT_FIELDS",
    "SettingsRejected",
    "field_label",
    "settings_parse",
]


@dataclass(frozen=True)
class Rule:
    """``int``: a whole number lo–hi; ``probability``: 0–1; ``ratio``: above 0
    and at most 1; ``factor``: above 0 and at most hi."""

    kind: str
    lo: float = 0
    hi: float = 0


FIELDS: dict[str, Rule] = {
    "no_purchase_days": Rule("int", 1, 3650),
    "rhythm_factor": Rule("factor", 0, 100),
    "p_alive_below": Rule("probability"),
    "quiet_days": Rule("int", 1, 365),
    "active_window_days": Rule("int", 1, 3650),
    "drop_ratio": Rule("ratio"),
    "complaints_per_month_above": Rule("int", 0, 1000),
    "negative_from": Rule("probability"),
    "churn_risk_from": Rule("probability"),
    "task_due_days": Rule("int", 0, 365),
    "check_back_days": Rule("int", 1, 365),
    "plan_steps": Rule("int", 1, 5),
}
#: Global only (the plan and the tasks).
GLOBAL_FIELDS = ("task_due_days", "check_back_days", "plan_steps")
SCRIPT_FIELDS = ("follow_up_zh", "follow_up_en")
#: The words of steps 3–5: blank takes the nearest earlier step's.
STEP_SCRIPT_FIELDS = tuple(
    f"step{n}_{lang}" for n in (3, 4, 5) for lang in ("zh", "en")
)
SCRIPT_LIMIT = 2000


class SettingsRejected(ValidationFailed):
    """Every wrong field's message (``errors``: input name → message)."""

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors.values()))
        super().__init__(first, field=next(iter(errors)))
        self.errors = errors


def field_label(name: str, quadrant: str = "") -> str:
    found = CareSettings._meta.get_field(name)
    label = str(getattr(found, "verbose_name", name))
    label = label[:1].upper() + label[1:]
    if quadrant:
        return f"{Quadrant(quadrant).label} · {label}"
    return label


def _message(rule: Rule, label: str) -> str:
    if rule.kind == "int":
        return _("%(label)s: enter a whole number from %(lo)d to %(hi)d.") % {
            "label": label,
            "lo": rule.lo,
            "hi": rule.hi,
        }
    if rule.kind == "probability":
        return _("%(label)s: enter a probability from 0 to 1.") % {"label": label}
    if rule.kind == "ratio":
        return _("%(label)s: enter a ratio above 0 and at most 1.") % {"label": label}
    return _("%(label)s: enter a number above 0 and at most %(hi)d.") % {
        "label": label,
        "hi": rule.hi,
    }


def _number(text: str, rule: Rule) -> float | int | None:
    """The value, or None when it breaks the rule."""
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    if rule.kind == "int":
        if value != int(value) or not rule.lo <= value <= rule.hi:
            return None
        return int(value)
    if rule.kind == "probability":
        return value if 0 <= value <= 1 else None
    if rule.kind == "ratio":
        return value if 0 < value <= 1 else None
    return value if 0 < value <= rule.hi else None


def input_name(name: str, quadrant: str = "") -> str:
    return f"{quadrant}-{name}" if quadrant else name


def settings_parse(
    values: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The global values and each quadrant's (None: the global) from the
    form's text, or :class:`SettingsRejected` with every wrong field."""
    errors: dict[str, str] = {}
    found: dict[str, Any] = {}
    for name, rule in FIELDS.items():
        text = str(values.get(name, "") or "").strip()
        value = _number(text, rule)
        if value is None:
            errors[name] = _message(rule, field_label(name))
        found[name] = value
    for name in SCRIPT_FIELDS + STEP_SCRIPT_FIELDS:
        text = str(values.get(name, "") or "").strip().replace("\r\n", "\n")
        if (not text and name in SCRIPT_FIELDS) or len(text) > SCRIPT_LIMIT:
            errors[name] = _(
                "%(label)s: enter the words, at most %(n)d characters."
            ) % {"label": field_label(name), "n": SCRIPT_LIMIT}
        found[name] = text
    quadrants: dict[str, dict[str, Any]] = {}
    for quadrant in Quadrant.values:
        own: dict[str, Any] = {}
        for name in THRESHOLD_FIELDS:
            key = input_name(name, quadrant)
            text = str(values.get(key, "") or "").strip()
            if not text:
                own[name] = None
                continue
            value = _number(text, FIELDS[name])
            if value is None:
                errors[key] = _message(FIELDS[name], field_label(name, quadrant))
            own[name] = value
        quadrants[quadrant] = own
    if errors:
        raise SettingsRejected(errors)
    return found, quadrants
