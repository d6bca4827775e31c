"""Writes of the clock settings: how hours count, the SLA rules per category
and priority, the business's own closing days (admins only)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.feedback.choices import Category, HoursMode, Priority
from guanxi.feedback.clock import opening_parse
from guanxi.feedback.models import ClosingDay, FeedbackSettings, SlaRule
from guanxi.feedback.thread import choice_parse

__all__ = [
    "closing_day_add",
    "closing_day_remove",
    "feedback_settings_save",
    "sla_rule_save",
]


def _admin(actor: Any) -> None:
    if not policy_for(actor).may_administer:
        raise PermissionDenied(_("Only an admin may change the feedback settings."))


def _hours(value: Any, message: str, field: str) -> int:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValidationFailed(message, field=field) from None
    if not math.isfinite(number) or number != int(number) or not 1 <= number <= 2000:
        raise ValidationFailed(message, field=field)
    return int(number)


@transaction.atomic
def feedback_settings_save(
    *,
    actor: Any,
    hours_mode: Any,
    opening_hours: dict[str, tuple[str, str]],
    china_holidays: bool,
    warn_before_hours: Any,
    lead_id: Any = None,
) -> FeedbackSettings:
    """Save how the clocks count. ``opening_hours``: weekday ("0" Monday) →
    (open, close) as HH:MM, empty strings for a closed day."""
    _admin(actor)
    mode = choice_parse(
        hours_mode, HoursMode, _("Choose calendar or business hours."), "hours_mode"
    )
    raw: dict[str, list[str]] = {}
    for day, (start, end) in opening_hours.items():
        if not start and not end:
            continue
        parsed = opening_parse({day: [start, end]})
        if not parsed:
            raise ValidationFailed(
                _("Opening hours need a start before the end, as HH:MM."),
                field=f"open_{day}",
            )
        raw[day] = [start, end]
    if mode == HoursMode.BUSINESS and not raw:
        raise ValidationFailed(
            _("Business hours need opening hours on at least one day."),
            field="hours_mode",
        )
    warn = _hours(
        warn_before_hours,
        _("Escalate between 1 and 2000 hours before a clock breaks."),
        "warn_before_hours",
    )
    lead = None
    if lead_id not in (None, ""):
        lead = get_user_model().objects.filter(pk=lead_id, is_active=True).first()
        if lead is None:
            raise ValidationFailed(
                _("Choose an active user as the lead."), field="lead"
            )
    row, _created = FeedbackSettings.objects.select_for_update().get_or_create(pk=1)
    row.hours_mode = mode
    row.opening_hours = raw
    row.china_holidays = bool(china_holidays)
    row.warn_before_hours = warn
    row.lead = lead
    row.save()
    return row


@transaction.atomic
def sla_rule_save(
    *,
    actor: Any,
    category: Any,
    priority: Any,
    first_reply_hours: Any,
    solve_hours: Any,
) -> SlaRule:
    """Set the hours of a category (and priority, blank: any)."""
    _admin(actor)
    category_value = choice_parse(
        category, Category, _("Choose a category."), "category"
    )
    priority_text = "" if priority is None else str(priority).strip()
    if priority_text and priority_text not in Priority.values:
        raise ValidationFailed(_("Choose a priority."), field="priority")
    first = _hours(
        first_reply_hours,
        _("Hours must be a whole number from 1 to 2000."),
        "first_reply_hours",
    )
    solve = _hours(
        solve_hours, _("Hours must be a whole number from 1 to 2000."), "solve_hours"
    )
    if solve < first:
        raise ValidationFailed(
            _("The solve time cannot be shorter than the first reply time."),
            field="solve_hours",
        )
    rule, _created = SlaRule.objects.update_or_create(
        category=category_value,
        priority=priority_text,
        defaults={"first_reply_hours": first, "solve_hours": solve},
    )
    return rule


@transaction.atomic
def closing_day_add(*, actor: Any, day: Any, note: Any = "") -> ClosingDay:
    _admin(actor)
    try:
        value = dt.date.fromisoformat(str(day).strip())
    except ValueError:
        raise ValidationFailed(_("Give the day as YYYY-MM-DD."), field="day") from None
    text = ("" if note is None else str(note).strip())[:100]
    found, _created = ClosingDay.objects.update_or_create(
        day=value, defaults={"note": text}
    )
    return found


@transaction.atomic
def closing_day_remove(*, actor: Any, pk: Any) -> None:
    _admin(actor)
    deleted, _rows = ClosingDay.objects.filter(pk=pk).delete()
    if not deleted:
        raise NotFound(_("closing day not found"))
