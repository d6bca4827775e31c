"""Showing stored times: in the business's time zone, or in UTC at the calendar's edge.

An import from before dates were checked could store 9999-12-31 23:00 UTC; in
UTC+8 that lies past the end of Python's calendar, and ``localtime`` (which
Django's ``|date`` filter and ``{{ value }}`` call) raised ``OverflowError`` on
every page that showed it. The pages show such a time in UTC instead.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

__all__ = ["local_moment"]


def local_moment(value: dt.datetime) -> dt.datetime:
    """``value`` in the current time zone; in UTC when that would overflow;
    unchanged when it is naive."""
    if timezone.is_naive(value):
        return value
    try:
        return timezone.localtime(value)
    except OverflowError:
        return value.astimezone(dt.UTC)
