"""How customers buy, in SQL that runs the same on SQLite and PostgreSQL: purchase
days and weekend days, the channel bought through most, the categories most
spent on, large (business-sized) orders.

One definition for the automatic tags of a run (every customer at once, into
temporary tables) and for one customer's preferences on the 360 page. The
orders come from :func:`guanxi.commerce.selectors.purchase_rows` (cancelled
and refunded orders are no purchase), compiled to SQL and wrapped here; money
is compared in whole cents and shares as integers, so both databases give the
same answer to the same data.

Days are the business's calendar days: the order time (stored in UTC) shifted
by the business time zone's offset on the as-of date (a zone with summer time
is off by an hour for orders near midnight around the switch; China has none).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F, QuerySet

from guanxi.commerce.selectors import purchase_line_rows, purchase_rows

__all__ = [
    "Window",
    "categories_sql",
    "channel_sql",
    "days_sql",
    "large_orders_sql",
    "purchase_days_sql",
    "window_for",
]

Sql = tuple[str, list[Any]]


@dataclass(frozen=True)
class Window:
    """Orders in ``[start, end)`` (UTC), days shifted by ``offset_minutes``."""

    start: dt.datetime
    end: dt.datetime
    offset_minutes: int


def window_for(*, as_of: dt.date, days: int) -> Window:
    """The ``days`` calendar days that end with ``as_of`` (included), in the
    business's time zone."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    offset = zone.utcoffset(dt.datetime.combine(as_of, dt.time(12)))
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return Window(
        start=(end - dt.timedelta(days=days)).astimezone(dt.UTC),
        end=end.astimezone(dt.UTC),
        offset_minutes=minutes,
    )


def _compiled(qs: QuerySet[Any]) -> Sql:
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def _local(column: str, minutes: int) -> str:
    """The local timestamp of a UTC ``column`` (SQL)."""
    if connection.vendor == "sqlite":
        return f"datetime({column}, '{minutes:+d} minutes')"
    return f"(({column} AT TIME ZONE 'UTC') + INTERVAL '{minutes:d} minutes')"


def _day(column: str, minutes: int) -> str:
    local = _local(column, minutes)
    if connection.vendor == "sqlite":
        return f"date({local})"
    return f"CAST({local} AS DATE)"


def _weekend(column: str, minutes: int) -> str:
    """1 when the local day is a Saturday or a Sunday, else 0 (SQL)."""
    local = _local(column, minutes)
    if connection.vendor == "sqlite":
        dow = f"CAST(strftime('%%w', {local}) AS INTEGER)"
    else:
        dow = f"CAST(EXTRACT(DOW FROM {local}) AS INTEGER)"
    return f"CASE WHEN {dow} IN (0, 6) THEN 1 ELSE 0 END"


def _orders(window: Window, customer_id: int | None) -> Sql:
    qs = purchase_rows(start=window.start, end=window.end)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return _compiled(qs.values("id", "customer_id", "ordered_at", "channel"))


def _lines(window: Window, customer_id: int | None) -> Sql:
    qs = purchase_line_rows(start=window.start, end=window.end)
    if customer_id is not None:
        qs = qs.filter(order__customer_id=customer_id)
    return _compiled(
        qs.values(
            "order_id",
            "product_id",
            "quantity",
            "amount",
            customer_id=F("order__customer_id"),
            category=F("product__category"),
        )
    )


def _cents(expression: str) -> str:
    return f"CAST(ROUND({expression} * 100) AS BIGINT)"


def days_sql(window: Window, *, customer_id: int | None = None) -> Sql:
    """``(customer_id, days, weekend_days)``: purchase days in the window and
    how many of them fell on a Saturday or Sunday."""
    orders, params = _orders(window, customer_id)
    m = window.offset_minutes
    sql = (
        "SELECT customer_id, COUNT(*) AS days, SUM(weekend) AS weekend_days FROM ("
        f"SELECT DISTINCT o.customer_id, {_day('o.ordered_at', m)} AS day, "
        f"{_weekend('o.ordered_at', m)} AS weekend FROM ({orders}) o"
        ") d GROUP BY customer_id"
    )
    return sql, params


def purchase_days_sql(window: Window, *, customer_id: int) -> Sql:
    """``(day,)``: the customer's purchase days in the window (local dates)."""
    orders, params = _orders(window, customer_id)
    day = _day("o.ordered_at", window.offset_minutes)
    return f"SELECT DISTINCT {day} AS day FROM ({orders}) o ORDER BY day", params


def channel_sql(window: Window, *, customer_id: int | None = None) -> Sql:
    """``(customer_id, channel, orders, total)``: the channel most of the
    customer's orders in the window came through (ties: the latest order's
    channel), its orders and all orders with a channel."""
    orders, params = _orders(window, customer_id)
    sql = (
        "SELECT customer_id, channel, n AS orders, total FROM ("
        "SELECT customer_id, channel, COUNT(*) AS n, "
        "SUM(COUNT(*)) OVER (PARTITION BY customer_id) AS total, "
        "ROW_NUMBER() OVER (PARTITION BY customer_id "
        "ORDER BY COUNT(*) DESC, MAX(ordered_at) DESC, MIN(id)) AS place "
        f"FROM ({orders}) o WHERE channel <> '' GROUP BY customer_id, channel"
        ") c WHERE place = 1"
    )
    return sql, params


def categories_sql(window: Window, *, customer_id: int | None = None) -> Sql:
    """``(customer_id, category, cents, total_cents, place)``: spend per product
    category in the window, the largest first (``place`` 1, 2 …; ties: the
    category of the lowest product id)."""
    lines, params = _lines(window, customer_id)
    cents = _cents("SUM(amount)")
    sql = (
        "SELECT customer_id, category, cents, total_cents, place FROM ("
        f"SELECT customer_id, category, {cents} AS cents, "
        f"SUM({cents}) OVER (PARTITION BY customer_id) AS total_cents, "
        "ROW_NUMBER() OVER (PARTITION BY customer_id "
        f"ORDER BY {cents} DESC, MIN(product_id)) AS place "
        f"FROM ({lines}) l WHERE category <> '' GROUP BY customer_id, category"
        ") c"
    )
    return sql, params


def large_orders_sql(
    window: Window, *, min_quantity: int, customer_id: int | None = None
) -> Sql:
    """``(customer_id, orders, large_orders)``: orders with lines in the
    window, and those of them with ``min_quantity`` items or more."""
    lines, params = _lines(window, customer_id)
    sql = (
        "SELECT customer_id, COUNT(*) AS orders, "
        "SUM(CASE WHEN items >= %s THEN 1 ELSE 0 END) AS large_orders FROM ("
        f"SELECT customer_id, order_id, SUM(quantity) AS items FROM ({lines}) l "
        "GROUP BY customer_id, order_id"
        ") o GROUP BY customer_id"
    )
    return sql, [min_quantity, *params]
