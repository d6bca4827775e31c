"""Reads of the tags app: the rules' thresholds, the coverage of the runs, and
a customer's purchase preferences."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from guanxi.tags import patterns
from guanxi.tags.models import TagCoverage, TagRules

__all__ = [
    "CustomerPreferences",
    "customer_preferences",
    "tag_coverage_latest",
    "tag_coverage_list",
    "tag_rules",
]


def tag_rules() -> TagRules:
    """The thresholds of the automatic tags (the defaults until someone saves)."""
    found = TagRules.objects.filter(pk=1).first()
    return found if found is not None else TagRules(pk=1)


def tag_coverage_latest() -> TagCoverage | None:
    return TagCoverage.objects.order_by("-as_of").first()


def tag_coverage_list(*, limit: int = 24) -> QuerySet[TagCoverage]:
    """The coverage of the latest runs, the latest first (counts only)."""
    return TagCoverage.objects.order_by("-as_of")[:limit]


@dataclass(frozen=True)
class CustomerPreferences:
    """How one customer buys, over the preference window up to ``as_of``.

    ``channel``: the purchase channel of most orders (with its share, 0-1) when
    that share reaches the rule's threshold; ``categories``: ``(category,
    share of spend)``, the largest first, up to the rule's maximum;
    ``usual_gap_days``: mean days between purchase days (None below two);
    ``weekdays``: purchase days per weekday, Monday first;
    ``contact_channel``: the profile's preferred contact channel.
    """

    as_of: dt.date
    window_days: int
    purchase_days: int
    channel: str | None
    channel_share: float | None
    categories: list[tuple[str, float]] = field(default_factory=list)
    usual_gap_days: float | None = None
    weekdays: list[int] = field(default_factory=lambda: [0] * 7)
    weekend_share: float | None = None

    @property
    def known(self) -> bool:
        return self.purchase_days > 0


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def customer_preferences(
    customer_id: int, *, as_of: dt.date | None = None
) -> CustomerPreferences:
    """Preferred channel, top categories and purchase rhythm of one customer
    (the caller has checked that the customer is in scope), by the same SQL and
    thresholds as the automatic tags."""
    rules = tag_rules()
    day = as_of or timezone.localdate()
    window = patterns.window_for(as_of=day, days=rules.preference_window_days)
    orders = patterns.orders_sql(window, customer_id=customer_id)
    lines = patterns.lines_sql(window, customer_id=customer_id)
    channel = _rows(*patterns.channel_sql(orders))
    categories = _rows(*patterns.categories_sql(lines))
    days = _rows(*patterns.purchase_days_sql(orders))
    chosen = share = None
    if channel:
        _cid, name, orders, total = channel[0]
        share = orders / total if total else None
        if share is not None and share * 100 >= rules.channel_min_percent:
            chosen = str(name)
    top = [
        (str(category), cents / total if total else 0.0)
        for _cid, category, cents, total, place in sorted(
            categories, key=lambda r: r[4]
        )
        if place <= rules.category_max
        and total
        and cents * 100 >= rules.category_min_percent * total
    ]
    weekdays = [0] * 7
    dates = sorted({patterns.day_date(row[0]) for row in days})
    for d in dates:
        weekdays[d.weekday()] += 1
    # The mean gap, as the scoring run's "usual days between purchases".
    usual = (dates[-1] - dates[0]).days / (len(dates) - 1) if len(dates) > 1 else None
    weekend = (weekdays[5] + weekdays[6]) / len(dates) if dates else None
    return CustomerPreferences(
        as_of=day,
        window_days=rules.preference_window_days,
        purchase_days=len(dates),
        channel=chosen,
        channel_share=share,
        categories=top,
        usual_gap_days=usual,
        weekdays=weekdays,
        weekend_share=weekend,
    )
