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

from guanxi.commerce.selectors import (
    line_rows,
    product_rows,
    purchase_line_rows,
    purchase_rows,
)

__all__ = [
    "Window",
    "categories_sql",
    "channel_sql",
    "day_date",
    "days_sql",
    "large_orders_sql",
    "lines_sql",
    "orders_sql",
    "purchase_days_sql",
    "window_for",
]

Sql = tuple[str, list[Any]]
EPOCH = dt.date(1970, 1, 1)


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
    """The query's SQL and parameters, without the model's default ordering (an
    ORDER BY in a subquery keeps the database from merging it into the query
    around it, and makes it read in index order)."""
    sql, params = qs.order_by().query.sql_with_params()
    return sql, list(params)


def _day(column: str, minutes: int) -> str:
    """The local calendar day of a UTC ``column`` as a day number (days since
    1970-01-01): one date function per row, the same number on both
    databases."""
    if connection.vendor == "sqlite":
        # julianday() of 1970-01-01 00:00 is 2440587.5; the days are after 1970,
        # so truncating is flooring.
        return f"CAST(julianday({column}) - 2440587.5 + {minutes / 1440!r} AS INTEGER)"
    return (
        f"CAST(FLOOR((EXTRACT(EPOCH FROM {column}) + {minutes * 60:d}) / 86400) "
        "AS BIGINT)"
    )


def _weekend(day: str) -> str:
    """1 when day number ``day`` is a Saturday or a Sunday, else 0 (SQL;
    1970-01-01 was a Thursday, so ``(day + 4) % 7`` is 0 on Sundays). The
    ``%`` is doubled: every statement is run with parameters."""
    return f"CASE WHEN (({day}) + 4) %% 7 IN (0, 6) THEN 1 ELSE 0 END"


def day_date(number: int) -> dt.date:
    """The date of a day number of :func:`orders_sql`."""
    return EPOCH + dt.timedelta(days=int(number))


def _window_filter(window: Window, column: str) -> Sql:
    """``column`` in the window. On SQLite a unary ``+`` keeps the planner off
    the ``ordered_at`` index: for every customer at once, reading half the
    orders through it is millions of random page reads (measured: 35 M reads,
    more than 20 minutes at 1 M customers), one pass over the table a few
    seconds."""
    plus = "+" if connection.vendor == "sqlite" else ""
    adapt = connection.ops.adapt_datetimefield_value
    return (
        f"{plus}{column} >= %s AND {plus}{column} < %s",
        [adapt(window.start), adapt(window.end)],
    )


def orders_sql(window: Window, *, customer_id: int | None = None) -> Sql:
    """``(id, customer_id, ordered_at, channel, day, weekend)``: the purchases in
    the window, of one customer (through its index) or of every customer (one
    pass over the orders)."""
    day = _day("o.ordered_at", window.offset_minutes)
    columns = (
        "o.id, o.customer_id, o.ordered_at, o.channel, "
        f"{day} AS day, {_weekend(day)} AS weekend"
    )
    if customer_id is not None:
        qs = purchase_rows(start=window.start, end=window.end).filter(
            customer_id=customer_id
        )
        inner, params = _compiled(
            qs.values("id", "customer_id", "ordered_at", "channel")
        )
        return f"SELECT {columns} FROM ({inner}) o", params
    inner, params = _compiled(
        purchase_rows().values("id", "customer_id", "ordered_at", "channel")
    )
    within, wp = _window_filter(window, "o.ordered_at")
    return f"SELECT {columns} FROM ({inner}) o WHERE {within}", [*params, *wp]


def lines_sql(window: Window, *, customer_id: int | None = None) -> Sql:
    """``(customer_id, order_id, product_id, quantity, amount, category)``: the
    lines of the purchases in the window. For every customer the lines are
    read in one pass, each looking up its order and product (lines are stored
    in order order, so the orders are read in one pass too)."""
    if customer_id is not None:
        qs = purchase_line_rows(start=window.start, end=window.end).filter(
            order__customer_id=customer_id
        )
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
    lines, lp = _compiled(
        line_rows().values("order_id", "product_id", "quantity", "amount")
    )
    orders, op = _compiled(purchase_rows().values("id", "customer_id", "ordered_at"))
    products, pp = _compiled(product_rows().values("id", "category"))
    within, wp = _window_filter(window, "o.ordered_at")
    # CROSS JOIN: SQLite keeps this order (lines outside); PostgreSQL plans
    # it as any join.
    sql = (
        "SELECT o.customer_id, l.order_id, l.product_id, l.quantity, l.amount, "
        f"p.category FROM ({lines}) l CROSS JOIN ({orders}) o "
        f"CROSS JOIN ({products}) p "
        f"WHERE o.id = l.order_id AND p.id = l.product_id AND {within}"
    )
    return sql, [*lp, *op, *pp, *wp]


def _cents(expression: str) -> str:
    return f"CAST(ROUND({expression} * 100) AS BIGINT)"


def days_sql(orders: Sql) -> Sql:
    """``(customer_id, days, weekend_days)`` from :func:`orders_sql` rows:
    purchase days and how many of them fell on a Saturday or Sunday."""
    source, params = orders
    sql = (
        "SELECT customer_id, COUNT(*) AS days, SUM(weekend) AS weekend_days FROM ("
        f"SELECT DISTINCT customer_id, day, weekend FROM ({source}) o"
        ") d GROUP BY customer_id"
    )
    return sql, params


def channel_sql(orders: Sql) -> Sql:
    """``(customer_id, channel, orders, total)`` from :func:`orders_sql` rows:
    the channel most of the customer's orders came through (ties: the latest
    order's channel), its orders and all orders with a channel."""
    source, params = orders
    sql = (
        "SELECT customer_id, channel, n AS orders, total FROM ("
        "SELECT customer_id, channel, COUNT(*) AS n, "
        # PostgreSQL sums integers to numeric: back to an integer.
        "CAST(SUM(COUNT(*)) OVER (PARTITION BY customer_id) AS BIGINT) AS total, "
        "ROW_NUMBER() OVER (PARTITION BY customer_id "
        "ORDER BY COUNT(*) DESC, MAX(ordered_at) DESC, MIN(id)) AS place "
        f"FROM ({source}) o WHERE channel <> '' GROUP BY customer_id, channel"
        ") c WHERE place = 1"
    )
    return sql, params


def categories_sql(lines: Sql) -> Sql:
    """``(customer_id, category, cents, total_cents, place)`` from
    :func:`lines_sql` rows: spend per product category, the largest first
    (``place`` 1, 2 …; ties: the category of the lowest product id)."""
    source, params = lines
    cents = _cents("SUM(amount)")
    sql = (
        "SELECT customer_id, category, cents, total_cents, place FROM ("
        f"SELECT customer_id, category, {cents} AS cents, "
        f"CAST(SUM({cents}) OVER (PARTITION BY customer_id) AS BIGINT) "
        "AS total_cents, "
        "ROW_NUMBER() OVER (PARTITION BY customer_id "
        f"ORDER BY {cents} DESC, MIN(product_id)) AS place "
        f"FROM ({source}) l WHERE category <> '' GROUP BY customer_id, category"
        ") c"
    )
    return sql, params


def large_orders_sql(lines: Sql, *, min_quantity: int) -> Sql:
    """``(customer_id, orders, large_orders)`` from :func:`lines_sql` rows:
    orders, and those of them with ``min_quantity`` items or more."""
    source, params = lines
    sql = (
        "SELECT customer_id, COUNT(*) AS orders, "
        "SUM(CASE WHEN items >= %s THEN 1 ELSE 0 END) AS large_orders FROM ("
        f"SELECT customer_id, order_id, SUM(quantity) AS items FROM ({source}) l "
        "GROUP BY customer_id, order_id"
        ") o GROUP BY customer_id"
    )
    return sql, [min_quantity, *params]


def purchase_days_sql(orders: Sql) -> Sql:
    """``(day,)``: the purchase days of :func:`orders_sql` rows, in order."""
    source, params = orders
    return f"SELECT DISTINCT day FROM ({source}) o ORDER BY day", params
