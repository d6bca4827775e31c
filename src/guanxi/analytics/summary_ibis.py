"""The BTYD customer summary computed in-database with Ibis (DuckDB, SQLite, Postgres, Spark).

:func:`rfm_summary_ibis` gives the summary of
:func:`guanxi.analytics.summary.rfm_summary` from an Ibis table or a CSV /
Parquet file read with DuckDB, with the same definitions as the feature
expressions of :mod:`guanxi.analytics.features` it is built from.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis import _

from guanxi.analytics.dates import EPOCH, DateLike, as_date
from guanxi.analytics.dates import day_number as _epoch_day
from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.features import (
    _by_customer_and_day,
    _calendar_date,
    _ratio,
    _require_columns,
    _with_first_day,
    connect_duckdb,
    day_number,
    read_transactions,
)

__all__ = ["rfm_summary_ibis"]

_PERFECT_HASH_BITS = 20


@ibis.udf.agg.builtin(name="arg_min")  # type: ignore[untyped-decorator]
def _duckdb_arg_min(arg: float, key: dt.date) -> float:  # type: ignore[empty-body]
    """DuckDB's own ``arg_min``: ``arg`` of the row with the smallest ``key``.

    Ibis compiles ``argmin`` for DuckDB to ``FIRST(arg ORDER BY key)``, an
    ordered aggregate that sorts every group; ``arg_min`` keeps one value.
    """


def _summary_expression(
    table: ir.Table,
    *,
    customer_col: str,
    datetime_col: str,
    amount_col: str | None,
    end: int,
    calibration: int | None,
    on_duckdb: bool,
) -> ir.Table:
    """The summary in whole days; weeks and the holdout duration come after.

    Expects the input checked by :func:`_check_summary_input`, so no purchase
    is after ``end`` and none is filtered out here. Purchases are grouped by
    (customer, calendar date), the largest aggregation by far, and then by
    customer in one pass over calibration and holdout; dates become day
    counts only in the per-customer rows. On DuckDB (``on_duckdb``) the first
    day's spend is DuckDB's own ``arg_min`` over the purchase days (one row
    per customer and day, so there are no ties); on other backends it comes
    from a join with each customer's first day, which all of them compute the
    same way (Ibis's ``argmin`` is an ordered aggregate on DuckDB and is wrong
    on SQLite).
    """
    daily = _by_customer_and_day(
        table,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        day=_calendar_date,
    ).aggregate(amount=_.amount.sum().cast("float64"))
    cut = ibis.date(
        EPOCH + dt.timedelta(days=calibration if calibration is not None else end)
    )
    if on_duckdb:
        source = daily
        first_day_spend: ir.Value = _duckdb_arg_min(daily.amount, daily.day)
    else:
        source = _with_first_day(daily, known=daily)
        first_day_spend = source.amount.sum(where=source.day == source.first_day_)
    before = source.day <= cut
    aggregates: dict[str, ir.Value] = {
        "first_day": source.day.min(),
        "last_day": source.day.max(where=before),
        "purchase_days": source.count(where=before).cast("int64"),
        "total_spend": source.amount.sum(where=before).cast("float64"),
        "first_day_spend": first_day_spend.cast("float64"),
    }
    if calibration is not None:
        after = source.day > cut
        aggregates["holdout_days_"] = (
            source.count(where=after).fill_null(0).cast("int64")
        )
        aggregates["holdout_spend_"] = (
            source.amount.sum(where=after).fill_null(0.0).cast("float64")
        )
    per_customer = source.group_by("customer_id").aggregate(**aggregates)
    # Customers whose first purchase is in the holdout are not summarised.
    per_customer = per_customer.filter(per_customer.first_day <= cut)
    frequency = (per_customer.purchase_days - 1).cast("int64")
    columns: dict[str, ir.Value] = {
        "frequency": frequency.cast("float64"),
        "recency": per_customer.last_day.delta(per_customer.first_day, unit="day").cast(
            "float64"
        ),
        "T": cut.delta(per_customer.first_day, unit="day").cast("float64"),
        "monetary_value": _ratio(
            per_customer.total_spend - per_customer.first_day_spend, frequency
        ),
    }
    if calibration is not None:
        days = per_customer.holdout_days_
        columns["frequency_holdout"] = days.cast("float64")
        columns["monetary_value_holdout"] = _ratio(per_customer.holdout_spend_, days)
    return per_customer.select("customer_id", **columns)


def _check_summary_input(
    table: ir.Table,
    *,
    customer_col: str,
    datetime_col: str,
    amount_col: str | None,
    end: int,
    on_duckdb: bool,
) -> None:
    """Raise for nulls and purchases after the observation end.

    Zero and negative amounts (free items, refunds) are kept, as in the
    pandas summary.

    One aggregate query of counts, a minimum and a maximum tells whether there
    is any problem. On DuckDB (``on_duckdb``) the last purchase day is the
    date of the latest timestamp (a date only moves forward with its
    timestamp), so DuckDB answers the whole query for a Parquet file from the
    file's statistics without reading the rows; elsewhere (SQLite keeps
    timestamps as text) it is the latest of the rows' dates. Only when there
    is a problem is the first offending row (1-based, in the table's scan
    order) looked up.
    """
    _require_columns(table, [customer_col, datetime_col, amount_col])

    def problems(t: ir.Table) -> list[tuple[str, ir.BooleanValue, str]]:
        found: list[tuple[str, ir.BooleanValue, str]] = [
            (customer_col, t[customer_col].isnull(), "missing customer id"),
            (datetime_col, t[datetime_col].isnull(), "missing or unparsable date"),
            (
                datetime_col,
                day_number(t[datetime_col]) > end,
                "purchase after the observation end",
            ),
        ]
        if amount_col is not None:
            found.append((amount_col, t[amount_col].isnull(), "missing amount"))
        return found

    checks = problems(table)
    dates = table[datetime_col]
    in_order = on_duckdb and (dates.type().is_timestamp() or dates.type().is_date())
    last_day = day_number(dates.max()) if in_order else day_number(dates).max()
    figures: dict[str, ir.Value] = {
        "rows": table.count(),
        "customers": table[customer_col].count(),
        "dates": dates.count(),
        "last_day": last_day,
    }
    if amount_col is not None:
        figures["amounts"] = table[amount_col].count()
    found = table.aggregate(**figures).execute().iloc[0]
    rows = int(found["rows"])
    flags = [
        rows > int(found["customers"]),
        rows > int(found["dates"]),
        bool(pd.notna(found["last_day"]) and found["last_day"] > end),
    ]
    if amount_col is not None:
        flags.append(rows > int(found["amounts"]))
    for i, (column, _condition, what) in enumerate(checks):
        if not flags[i]:
            continue
        numbered = table.mutate(row_=ibis.row_number() + 1)
        condition = problems(numbered)[i][1]
        first = numbered.filter(condition).order_by("row_").limit(1).execute()
        row = int(first["row_"].iloc[0])
        value = first[column].iloc[0]
        raise AnalyticsInputError(
            f"column '{column}', row {row}: {what} ({_show(value)})"
        )


def _show(value: Any) -> str:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "empty"
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def rfm_summary_ibis(
    transactions: ir.Table | str | os.PathLike[str],
    *,
    customer_col: str,
    datetime_col: str,
    amount_col: str | None = None,
    observation_end: DateLike,
    calibration_end: DateLike | None = None,
    time_unit: Literal["D", "W"] = "D",
    date_format: str | None = None,
) -> pd.DataFrame:
    """The customer summary of :func:`guanxi.analytics.summary.rfm_summary`, computed in-database.

    ``transactions`` is an Ibis table on any backend, or the path of a CSV or
    Parquet file (read with DuckDB). Returns a pandas frame indexed by
    customer id (sorted) with float64 columns ``frequency``, ``recency``,
    ``T``, ``monetary_value`` and, with ``calibration_end``,
    ``frequency_holdout``, ``monetary_value_holdout``, ``duration_holdout``.
    """
    if time_unit not in ("D", "W"):
        raise AnalyticsInputError(f"time_unit: '{time_unit}' is not one of D, W")
    if isinstance(transactions, ir.Table):
        table = transactions
    else:
        con = connect_duckdb()
        # Per-customer aggregates index a plain array instead of a hash table
        # when integer customer ids span at most 2**20 values (DuckDB knows
        # the span from a Parquet file's statistics); about a third less CPU
        # for that step. Each thread's array holds 2**20 rows at most.
        con.raw_sql(f"SET perfect_ht_threshold = {_PERFECT_HASH_BITS}")
        table = read_transactions(
            transactions, datetime_col=datetime_col, date_format=date_format, con=con
        )
    end = _epoch_day(observation_end, "observation_end")
    calibration = (
        _epoch_day(calibration_end, "calibration_end")
        if calibration_end is not None
        else None
    )
    if calibration is not None and calibration > end:
        raise AnalyticsInputError(
            "calibration_end: must not be after observation_end "
            f"({as_date(calibration_end, 'calibration_end')} > "
            f"{as_date(observation_end, 'observation_end')})"
        )
    on_duckdb = ibis.get_backend(table).name == "duckdb"
    _check_summary_input(
        table,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        end=end,
        on_duckdb=on_duckdb,
    )
    expression = _summary_expression(
        table,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        end=end,
        calibration=calibration,
        on_duckdb=on_duckdb,
    )
    frame: pd.DataFrame = expression.execute()
    frame = frame.set_index("customer_id").sort_index().astype("float64")
    frame.index.name = customer_col
    if calibration is not None:
        frame["duration_holdout"] = float(end - calibration)
    # Scaled here, not in SQL: Spark reads a literal such as 7.0 as a decimal
    # and would round the quotient to six places.
    if time_unit == "W":
        for column in ("recency", "T", "duration_holdout"):
            if column in frame.columns:
                frame[column] = frame[column] / 7.0
    return frame
