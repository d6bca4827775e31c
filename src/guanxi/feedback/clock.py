"""SLA clocks: when a ticket's first reply and solution are due.

Calendar hours simply add up. Business hours count only the opening hours of
working days: a day is a working day when the business is open that weekday
and it is not one of its own closing days; with the Chinese calendar on, a
public holiday is closed and an adjusted working day (调休, a weekend day
worked in exchange) is open with the opening hours of Monday (the first
weekday with hours). Outside the years ``chinese-calendar`` knows, the
weekdays alone decide.

No database here: :class:`BusinessCalendar` is built from the settings by
``selectors.business_calendar``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = ["BusinessCalendar", "Hours", "opening_parse"]

Hours = tuple[dt.time, dt.time]

#: A clock never looks further ahead than this (bounded work; a calendar
#: with no working day at all answers "in a year").
MAX_DAYS = 366


def opening_parse(raw: Mapping[str, object]) -> dict[int, Hours]:
    """``{"0": ["09:00", "18:00"]}`` → ``{0: (09:00, 18:00)}``; bad or empty
    days are left out (closed)."""
    hours: dict[int, Hours] = {}
    for key, value in raw.items():
        try:
            weekday = int(key)
            start, end = (dt.time.fromisoformat(str(v)) for v in value)  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            continue
        if 0 <= weekday <= 6 and start < end:
            hours[weekday] = (start, end)
    return hours


def _china(day: dt.date) -> bool | None:
    """Whether China works on ``day``; None outside the known years."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours per weekday (Monday 0), closing days, the Chinese
    calendar on or off, and the time zone the hours are in. ``business``
    False: calendar hours."""

    business: bool
    zone: ZoneInfo
    opening: Mapping[int, Hours] = field(default_factory=dict)
    closing_days: frozenset[dt.date] = frozenset()
    china: bool = True

    def hours_on(self, day: dt.date) -> Hours | None:
        """The opening hours of ``day``, None when closed."""
        if day in self.closing_days:
            return None
        weekday = day.weekday()
        if self.china:
            works = _china(day)
            if works is False:
                return None
            if works is True and weekday not in self.opening:
                # An adjusted working day: a weekday's hours.
                return next(
                    (self.opening[d] for d in range(5) if d in self.opening), None
                )
        return self.opening.get(weekday)

    def add_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` of the clock after ``start`` (aware)."""
        if not self.business:
            return start + dt.timedelta(hours=hours)
        left = dt.timedelta(hours=hours)
        local = start.astimezone(self.zone)
        day = local.date()
        for _ in range(MAX_DAYS):
            window = self.hours_on(day)
            if window is not None:
                opens = dt.datetime.combine(day, window[0], self.zone)
                closes = dt.datetime.combine(day, window[1], self.zone)
                begin = max(opens, local)
                if begin < closes:
                    if begin + left <= closes:
                        return (begin + left).astimezone(dt.UTC)
                    left -= closes - begin
            day += dt.timedelta(days=1)
        return start + dt.timedelta(days=MAX_DAYS)

    def hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Clock hours from ``start`` to ``end`` (0 when ``end`` is earlier)."""
        if end <= start:
            return 0.0
        if not self.business:
            return (end - start).total_seconds() / 3600
        total = dt.timedelta()
        first = start.astimezone(self.zone)
        last = end.astimezone(self.zone)
        day = first.date()
        for _ in range(MAX_DAYS):
            if day > last.date():
                break
            window = self.hours_on(day)
            if window is not None:
                opens = max(dt.datetime.combine(day, window[0], self.zone), first)
                closes = min(dt.datetime.combine(day, window[1], self.zone), last)
                if opens < closes:
                    total += closes - opens
            day += dt.timedelta(days=1)
        return total.total_seconds() / 3600
