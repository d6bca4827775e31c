"""Dates as the analytics engine takes them: one reader for every date parameter.

Every date a caller passes (``observation_end``, ``calibration_end``, a churn
cut-off, a command-line option) goes through :func:`as_date`, so they all
accept the same forms and fail with the same message. Inside the engine a
date is a *day number*: whole days since 1970-01-01 (:func:`day_number`,
:func:`date_of_day`), which makes every duration integer arithmetic.

Needs neither pandas nor numpy, so the command line can check its date
options before it loads them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from guanxi.analytics.errors import AnalyticsInputError

__all__ = ["EPOCH", "DateLike", "as_date", "date_of_day", "day_number"]

EPOCH = dt.date(1970, 1, 1)

#: Text in ISO 8601 (``1997-09-30``, a time and a zone may follow), a
#: ``datetime.date`` / ``datetime`` (so a pandas ``Timestamp``) or a numpy
#: ``datetime64``.
DateLike = str | dt.date | dt.datetime | Any


def as_date(value: DateLike, name: str) -> dt.date:
    """The calendar date of ``value``; a time of day and a time zone are dropped.

    Raises :class:`AnalyticsInputError` ``"{name}: cannot read '{value}' as a
    date (use YYYY-MM-DD)"`` for anything else, including a missing value.
    """
    day = _calendar_date(value)
    if day is None:
        raise AnalyticsInputError(
            f"{name}: cannot read '{value}' as a date (use YYYY-MM-DD)"
        )
    return day


def day_number(value: DateLike, name: str) -> int:
    """Whole days since 1970-01-01 of a date-like value (see :func:`as_date`)."""
    return (as_date(value, name) - EPOCH).days


def date_of_day(day: int) -> dt.date:
    """The date of a day number."""
    return EPOCH + dt.timedelta(days=int(day))


def _calendar_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):  # pandas' Timestamp too; NaT is not one
        return None if value != value else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None
    if type(value).__name__ == "datetime64":  # numpy, without importing it
        try:
            converted = value.astype("datetime64[D]").item()
        except (TypeError, ValueError, OverflowError):
            return None
        return converted if isinstance(converted, dt.date) else None
    return None
