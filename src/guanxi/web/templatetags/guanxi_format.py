"""Formatting for the web UI: digits grouped by thousands in every language, and
stored times that never break a page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import dateformat

from guanxi.core.moments import local_moment

register = template.Library()


@register.filter
def grouped(value: Any) -> str:
    """``1234567`` → ``1,234,567``."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return ""


@register.filter
def money(value: Any) -> str:
    """``506903`` → ``506,903.00``."""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return ""


@register.filter
def moment(value: Any, fmt: str = "Y-m-d H:i") -> str:
    """A stored time formatted like ``|date`` in the business's time zone, or in
    UTC when it lies at the calendar's edge (``|date`` would fail the page)."""
    if not isinstance(value, dt.datetime):
        return ""
    return dateformat.format(local_moment(value), fmt)
