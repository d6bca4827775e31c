"""Keyset pagination for large lists: no OFFSET scans, a capped count.

A list of a million customers pages by the last key seen (``?after=``/``?before=``)
instead of a page number, and counts at most ``COUNT_CAP`` rows, shown as "10,000+".

A cursor is sealed (:func:`guanxi.core.crypto.seal_token`): its keys cannot be
read from it (a plain ``[2905]`` told an analyst the customer number behind the
last pseudonym of a page) nor forged; a cursor that is not ours is refused
with a message, not taken for the first page.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.core.crypto import open_token, seal_token
from guanxi.core.errors import ValidationFailed
from guanxi.core.values import MAX_AMOUNT, MAX_ID

__all__ = ["COUNT_CAP", "KeysetPage", "keyset_page"]

COUNT_CAP = 10_000


@dataclass
class KeysetPage:
    items: list[Any]
    count: int
    count_capped: bool
    next_cursor: str | None = None
    prev_cursor: str | None = None
    is_first: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def _context(keys: tuple[str, ...], model: type[Model]) -> str:
    """What a cursor is for: one list's keys (a cursor of another list or
    another order does not open)."""
    return f"cursor\x00{model._meta.label_lower}\x00{','.join(keys)}"


def _encode(values: list[Any], keys: tuple[str, ...], model: type[Model]) -> str:
    plain = [
        v.isoformat()
        if isinstance(v, dt.datetime)
        else str(v)
        if isinstance(v, Decimal)
        else v
        for v in values
    ]
    raw = json.dumps(plain, separators=(",", ":"))
    return seal_token(raw, context=_context(keys, model))


def _decode(cursor: str, keys: tuple[str, ...], model: type[Model]) -> list[Any] | None:
    """The key values in ``cursor``, or None when it is not one of ours."""
    raw = open_token(cursor, context=_context(keys, model))
    if raw is None:
        return None
    try:
        values = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    parsed: list[Any] = []
    for key, value in zip(keys, values, strict=True):
        internal = model._meta.get_field(key).get_internal_type()
        try:
            if internal == "DateTimeField":
                moment = dt.datetime.fromisoformat(str(value))
                # A forged year 9999 at -14:00 would overflow on its way to UTC.
                if moment.tzinfo is None:
                    return None
                moment.astimezone(dt.UTC)
                parsed.append(moment)
            elif internal in ("CharField", "TextField"):
                if not isinstance(value, str) or len(value) > 255:
                    return None
                parsed.append(value)
            elif internal == "DecimalField":
                amount = Decimal(str(value))
                if not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT:
                    return None
                parsed.append(amount)
            else:
                number = int(value)
                if not 0 <= number <= MAX_ID:
                    return None
                parsed.append(number)
        except (ValueError, TypeError, OverflowError, InvalidOperation):
            return None
    return parsed


def _beyond(keys: tuple[str, ...], values: list[Any], op: str) -> Q:
    """Rows after ``values`` in lexicographic order of ``keys`` (``op`` lt or gt)."""
    condition = Q()
    for i, key in enumerate(keys):
        equal = dict(zip(keys[:i], values[:i], strict=True))
        condition |= Q(**equal, **{f"{key}__{op}": values[i]})
    return condition


def keyset_page(
    qs: QuerySet[Any],
    *,
    keys: tuple[str, ...],
    after: str | None,
    before: str | None,
    per_page: int,
    count: int | None = None,
    descending: bool = True,
) -> KeysetPage:
    """One page of ``qs`` ordered by ``keys`` descending (newest first), or
    ascending when not ``descending``. The keys must not be NULL.

    ``count``: the number of rows when the caller knows it exactly (a
    segment's count); then it is shown in full and not counted again.
    """
    model = qs.model
    exact = count is not None
    if count is None:
        count = qs.order_by()[: COUNT_CAP + 1].count()
    backward, forward = ("gt", "lt") if descending else ("lt", "gt")
    # The order the page shows, and the other way (to walk back from a cursor).
    downwards = [f"-{k}" for k in keys]
    upwards = list(keys)
    page_order, reverse_order = (
        (downwards, upwards) if descending else (upwards, downwards)
    )
    after_values = _decode(after, keys, model) if after else None
    before_values = _decode(before, keys, model) if before else None
    for given, name, values in (
        (after, "after", after_values),
        (before, "before", before_values),
    ):
        if given and values is None:
            raise ValidationFailed(
                _("not a valid page link: open the list again from its first page"),
                field=name,
            )
    has_prev = False
    if before_values is not None:
        rows = list(
            qs.filter(_beyond(keys, before_values, backward)).order_by(*reverse_order)[
                : per_page + 1
            ]
        )
        has_prev = len(rows) > per_page
        items = list(reversed(rows[:per_page]))
        has_next = True
    else:
        page_qs = qs
        if after_values is not None:
            page_qs = qs.filter(_beyond(keys, after_values, forward))
            has_prev = True
        rows = list(page_qs.order_by(*page_order)[: per_page + 1])
        has_next = len(rows) > per_page
        items = rows[:per_page]

    def cursor_of(obj: Any) -> str:
        return _encode([getattr(obj, k) for k in keys], keys, model)

    return KeysetPage(
        items=items,
        count=count if exact else min(count, COUNT_CAP),
        count_capped=not exact and count > COUNT_CAP,
        next_cursor=cursor_of(items[-1]) if has_next and items else None,
        prev_cursor=cursor_of(items[0]) if has_prev and items else None,
        is_first=not has_prev,
    )
