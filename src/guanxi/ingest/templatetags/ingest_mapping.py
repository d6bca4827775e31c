"""The column mapping's template helper: a column's sample values."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: Any) -> Any:
    """``mapping[key]``, or an empty list when it has no such key."""
    return mapping.get(str(key or ""), [])
