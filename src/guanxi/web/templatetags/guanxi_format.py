"""Number formatting for the web UI: digits grouped by thousands in every language."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

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
