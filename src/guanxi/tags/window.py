"""The preference window's tags (channel, category, weekend, home or business)
computed by DuckDB from Arrow columns, on the embedded SQLite database.

On SQLite the window's orders and lines for every customer are millions of
rows; grouped and ranked by SQLite into temporary tables on disk they cost
most of a run's tagging (1,000,000 customers: about 45 s of CPU and three
times that in wall time). Here they are read once each as Arrow columns on a
connection of their own (:mod:`guanxi.core.arrow`, before the writing
transaction opens), and the same SQL of :mod:`guanxi.tags.patterns` and the
same rules run in an in-memory DuckDB. Only the ``(customer, key)`` pairs go
back, into the run's transaction. Where Arrow reads are not possible
(PostgreSQL, inside a transaction) the rules run in the database as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from guanxi.core.arrow import qmark, sqlite_arrow_reader
from guanxi.tags import patterns
from guanxi.tags.models import TagRules

__all__ = ["WindowPairs", "window_pairs_read", "window_rules", "window_tables"]

Sql = tuple[str, list[Any]]


@dataclass(frozen=True)
class WindowPairs:
    """What the preference window gives: ``(customer_id, key)`` pairs, and the
    channels and categories the tags are made for."""

    pairs: list[tuple[int, str]]
    channels: list[str]
    categories: list[str]


def window_tables(
    make: Callable[[str, Sql], str], *, orders: Sql, lines: Sql, rules: TagRules
) -> tuple[str, str, str, str]:
    """The window's tables — days, channel, categories, large orders — made by
    ``make(name, query)`` (a temporary table on either engine) from the
    purchases ``orders`` (:func:`patterns.orders_sql` rows) and their
    ``lines`` (:func:`patterns.lines_sql` rows)."""
    days = make("days", patterns.days_sql(orders))
    channel = make("channel", patterns.channel_sql(orders))
    categories = make("categories", patterns.categories_sql(lines))
    large = make(
        "large",
        patterns.large_orders_sql(lines, min_quantity=rules.business_min_quantity),
    )
    return days, channel, categories, large


def window_rules(
    *, rules: TagRules, days: str, channel: str, categories: str, large: str
) -> Iterator[Sql]:
    """``(sql, params)`` selecting ``(customer_id, key)`` of each rule on the
    window's tables (:mod:`guanxi.tags.patterns`), on either engine."""
    minimum = rules.preference_min_days
    yield (
        f"SELECT customer_id, 'channel:' || channel AS key FROM {channel} "
        "WHERE total >= %s AND orders * 100 >= %s * total",
        [minimum, rules.channel_min_percent],
    )
    yield (
        f"SELECT c.customer_id, 'category:' || c.category AS key FROM {categories} c "
        f"JOIN {days} d ON d.customer_id = c.customer_id "
        "WHERE d.days >= %s AND c.place <= %s AND c.cents * 100 >= %s * c.total_cents",
        [minimum, rules.category_max, rules.category_min_percent],
    )
    yield (
        f"SELECT customer_id, 'habit:weekend' AS key FROM {days} "
        "WHERE days >= %s AND weekend_days * 100 >= %s * days",
        [rules.weekend_min_days, rules.weekend_min_percent],
    )
    yield (
        f"SELECT customer_id, 'scenario:business' AS key FROM {large} "
        "WHERE large_orders >= %s",
        [rules.business_min_orders],
    )
    yield (
        f"SELECT customer_id, 'scenario:home' AS key FROM {large} "
        "WHERE large_orders = 0 AND orders >= %s",
        [rules.home_min_orders],
    )


def window_pairs_read(*, as_of: dt.date, rules: TagRules) -> WindowPairs | None:
    """The window's pairs, or None where Arrow reads are not possible (then
    :func:`guanxi.tags.rules.automatic_tags_write` runs the rules in SQL)."""
    window = patterns.window_for(as_of=as_of, days=rules.preference_window_days)
    with sqlite_arrow_reader() as read:
        if read is None:
            return None
        sql, params = patterns.orders_sql(window)
        # Typed columns: SQLite's values carry their own types, Arrow's a
        # column's (an amount of 12.00 is stored as the integer 12).
        # The order time in milliseconds (it only breaks ties: the latest
        # order's channel), eight bytes instead of twenty-six of text.
        orders = read(
            "SELECT CAST(id AS INTEGER) AS id, customer_id, "
            "CAST((julianday(ordered_at) - 2440587.5) * 86400000 AS INTEGER) "
            "AS ordered_at, "
            "COALESCE(channel, '') AS channel, CAST(day AS INTEGER) AS day, "
            f"CAST(weekend AS INTEGER) AS weekend FROM ({sql}) o",
            params,
        )
        sql, params = patterns.lines_sql(window)
        lines = read(
            "SELECT customer_id, order_id, product_id, "
            "CAST(quantity AS INTEGER) AS quantity, CAST(amount AS REAL) AS amount, "
            f"COALESCE(category, '') AS category FROM ({sql}) l",
            params,
        )
    tables = {"gx_window_orders": orders, "gx_window_lines": lines}
    del orders, lines
    return _pairs(tables, rules)


def _pairs(tables: dict[str, Any], rules: TagRules) -> WindowPairs:
    """The rules on the window's Arrow ``tables`` (each let go once read)."""
    import duckdb

    con = duckdb.connect()

    def done_with(name: str) -> None:
        con.unregister(name)
        del tables[name]

    try:
        for name, table in tables.items():
            con.register(name, table)

        def make(name: str, query: Sql) -> str:
            sql, params = query
            con.execute(f"CREATE TEMP TABLE gx_{name} AS {qmark(sql)}", params)
            return f"gx_{name}"

        days, channel, categories, large = window_tables(
            make,
            orders=("SELECT * FROM gx_window_orders", []),
            lines=("SELECT * FROM gx_window_lines", []),
            rules=rules,
        )
        done_with("gx_window_orders")
        done_with("gx_window_lines")
        pairs: list[tuple[int, str]] = []
        for sql, params in window_rules(
            rules=rules, days=days, channel=channel, categories=categories, large=large
        ):
            pairs.extend(con.execute(qmark(sql), params).fetchall())
        channels = _distinct(con, f"SELECT DISTINCT channel FROM {channel}")
        chosen = _distinct(
            con,
            f"SELECT DISTINCT category FROM {categories} "
            f"WHERE place <= {int(rules.category_max)}",
        )
    finally:
        con.close()
    return WindowPairs(pairs=pairs, channels=channels, categories=chosen)


def _distinct(con: Any, sql: str) -> list[str]:
    return sorted(str(row[0]) for row in con.execute(sql).fetchall() if row[0])
