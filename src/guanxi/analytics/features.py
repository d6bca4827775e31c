"""Per-customer features written once as Ibis expressions, run on any backend.

The same expressions run in-database on SQLite and PostgreSQL (Ibis's own
backends), on DuckDB for CSV and Parquet files, and on Apache Spark, and give
identical results there. Dates are turned into whole day numbers (days since
1970-01-01) with ``DateValue.delta`` first, so every duration below is integer
arithmetic that each backend does the same way (the BTYD summary groups by the
date itself and takes day differences only per customer); purchases on the same
calendar day collapse into one (amounts added) by truncating timestamps to
their date.

Windows are trailing and include the end day: the 30-day window at observation
end ``E`` holds the purchase days ``d`` with ``E - 30 < d <= E``.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis import _
from ibis.expr.types.groupby import GroupedTable

from guanxi.analytics.dates import EPOCH, DateLike, as_date
from guanxi.analytics.dates import day_number as _epoch_day
from guanxi.analytics.errors import AnalyticsInputError

__all__ = [
    "DEFAULT_WINDOWS",
    "connect_duckdb",
    "connect_spark",
    "customer_features",
    "day_number",
    "interaction_features",
    "purchase_days",
    "read_transactions",
    "rfm_summary_ibis",
]

DEFAULT_WINDOWS: tuple[int, ...] = (30, 90, 365)
_PERFECT_HASH_BITS = 20


def connect_duckdb(database: str = ":memory:", *, threads: int | None = None) -> Any:
    """An Ibis DuckDB connection (in memory by default) for reading files."""
    con = ibis.duckdb.connect(database)
    if threads is not None:
        con.raw_sql(f"SET threads = {int(threads)}")
    return con


def connect_spark(session: Any = None, *, shuffle_partitions: int = 2) -> Any:
    """An Ibis PySpark connection; starts a small local session if none is given.

    A local session binds to 127.0.0.1, keeps its warehouse in a temporary
    folder, has no web UI and uses UTC, so dates do not move with the machine's
    time zone.
    """
    if session is None:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        from pyspark.sql import SparkSession

        warehouse = tempfile.mkdtemp(prefix="guanxi-spark-")
        session = (
            SparkSession.builder.master("local[2]")
            .appName("guanxi")
            .config("spark.sql.warehouse.dir", warehouse)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.bindAddress", "127.0.0.1")
            # A short-lived local JVM: the quick JIT tier and the serial
            # collector start faster on a small busy machine.
            .config(
                "spark.driver.extraJavaOptions",
                "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
            )
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)


def read_transactions(
    path: str | os.PathLike[str],
    *,
    datetime_col: str | None = None,
    date_format: str | None = None,
    con: Any = None,
) -> ir.Table:
    """A CSV or Parquet file of transactions as an Ibis table on DuckDB.

    With ``date_format`` (strftime codes, e.g. ``%Y%m%d``) the ``datetime_col``
    is parsed with it into a date; otherwise DuckDB detects dates in CSV files
    itself.
    """
    source = Path(path)
    if not source.is_file():
        raise AnalyticsInputError(f"file not found: {source}")
    con = con if con is not None else connect_duckdb()
    suffix = source.suffix.lower()
    if suffix == ".parquet" or suffix == ".pq":
        table: ir.Table = con.read_parquet(source)
    elif suffix in (".csv", ".txt", ".tsv"):
        options: dict[str, Any] = {}
        if date_format is not None and datetime_col is not None:
            options["types"] = {datetime_col: "VARCHAR"}
        table = con.read_csv(source, **options)
    else:
        raise AnalyticsInputError(
            f"unsupported file type '{source.suffix}': use .csv or .parquet"
        )
    if date_format is not None and datetime_col is not None:
        if datetime_col not in table.columns:
            raise AnalyticsInputError(f"column '{datetime_col}' is missing")
        column = table[datetime_col]
        # Parsed to a date: a time of day would not change any feature, and
        # DuckDB's parsed timestamps carry a time zone that could shift the day.
        table = table.mutate(
            **{datetime_col: column.cast("string").as_date(date_format)}
        )
    return table


def _calendar_date(column: ir.Value) -> ir.DateValue:
    """The calendar date of a date, timestamp or ISO date-string value."""
    dtype = column.type()
    if dtype.is_timestamp():
        day: ir.DateValue = column.date()
    elif dtype.is_date():
        day = column
    elif dtype.is_string():
        day = column.cast("timestamp").date()
    else:
        raise AnalyticsInputError(f"column '{column.get_name()}' does not hold dates")
    return day


def day_number(column: ir.Value) -> ir.IntegerValue:
    """Whole days since 1970-01-01 of a date, timestamp or ISO date-string column.

    Timestamps are truncated to their calendar date first (no time zone is
    applied), so two purchases on the same day get the same number.
    """
    day = _calendar_date(column)
    result: ir.IntegerValue = day.delta(ibis.date(EPOCH), unit="day").cast("int64")
    return result


def _require_columns(table: ir.Table, columns: Sequence[str | None]) -> None:
    for name in columns:
        if name is not None and name not in table.columns:
            raise AnalyticsInputError(f"column '{name}' is missing")


def purchase_days(
    table: ir.Table,
    *,
    customer_col: str,
    datetime_col: str,
    amount_col: str | None = None,
) -> ir.Table:
    """One row per customer and purchase day: ``customer_id``, ``day``, ``amount``, ``orders``.

    ``day`` is the day number (see :func:`day_number`); ``amount`` is the day's
    total spend (0 without an amount column) and ``orders`` the number of
    transactions that day.
    """
    return _by_customer_and_day(
        table,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        day=day_number,
    ).aggregate(
        amount=_.amount.sum().cast("float64"),
        orders=_.count().cast("int64"),
    )


def _by_customer_and_day(
    table: ir.Table,
    *,
    customer_col: str,
    datetime_col: str,
    amount_col: str | None,
    day: Callable[[ir.Value], ir.Value],
) -> GroupedTable:
    """Rows ``customer_id``, ``day`` (of the date column), ``amount`` by customer and day."""
    _require_columns(table, [customer_col, datetime_col, amount_col])
    amount = (
        table[amount_col].cast("float64")
        if amount_col is not None
        else ibis.literal(0.0, type="float64")
    )
    rows = table.select(
        customer_id=table[customer_col],
        day=day(table[datetime_col]),
        amount=amount,
    )
    return rows.group_by(["customer_id", "day"])


def _ratio(
    numerator: ir.NumericValue, denominator: ir.NumericValue
) -> ir.FloatingValue:
    """numerator / denominator as float64, 0 when the denominator is 0."""
    value = numerator.cast("float64") / denominator.cast("float64").nullif(0.0)
    result: ir.FloatingValue = value.fill_null(0.0)
    return result


def _with_first_day(daily: ir.Table, *, known: ir.Table) -> ir.Table:
    """``daily`` with ``first_day_``, each customer's first day in ``known``.

    An inner join: customers without a day in ``known`` are left out.
    """
    firsts = (
        known.group_by("customer_id")
        .aggregate(first_day_=known.day.min())
        .rename(first_customer_="customer_id")
    )
    return daily.join(firsts, daily.customer_id == firsts.first_customer_)


def _per_customer(
    daily: ir.Table,
    *,
    end: int,
    windows: Sequence[int],
    holdout_end: int | None = None,
) -> ir.Table:
    """Per-customer aggregates of the purchase days up to day ``end``.

    Customers without a purchase by ``end`` are left out. With
    ``holdout_end``, also ``holdout_days_`` and ``holdout_spend_`` of the
    days in (end, holdout_end]. The first day's spend comes from a join with
    each customer's first day: portable, and in DuckDB about twice as fast
    as a window over all purchase days (``arg_min`` is not portable: Ibis's
    SQLite backend gets it wrong).
    """
    rows = _with_first_day(daily, known=daily.filter(daily.day <= end))
    before = rows.day <= end
    aggregates: dict[str, ir.Value] = {
        "first_day": rows.first_day_.min(),
        "last_day": rows.day.max(where=before),
        "purchase_days": rows.count(where=before).cast("int64"),
        "orders": rows.orders.sum(where=before).cast("int64"),
        "total_spend": rows.amount.sum(where=before).cast("float64"),
        "first_day_spend": rows.amount.sum(where=rows.day == rows.first_day_)
        .fill_null(0.0)
        .cast("float64"),
    }
    for window in windows:
        inside = before & (rows.day > end - int(window))
        aggregates[f"orders_{window}d"] = (
            rows.orders.sum(where=inside).fill_null(0).cast("int64")
        )
        aggregates[f"purchase_days_{window}d"] = (
            rows.count(where=inside).fill_null(0).cast("int64")
        )
        aggregates[f"spend_{window}d"] = (
            rows.amount.sum(where=inside).fill_null(0.0).cast("float64")
        )
    if holdout_end is not None:
        after = (rows.day > end) & (rows.day <= holdout_end)
        aggregates["holdout_days_"] = rows.count(where=after).fill_null(0).cast("int64")
        aggregates["holdout_spend_"] = (
            rows.amount.sum(where=after).fill_null(0.0).cast("float64")
        )
    per_customer = rows.group_by("customer_id").aggregate(**aggregates)
    frequency = (per_customer.purchase_days - 1).cast("int64")
    recency = (per_customer.last_day - per_customer.first_day).cast("int64")
    return per_customer.mutate(
        frequency=frequency,
        recency=recency,
        T=(ibis.literal(end, type="int64") - per_customer.first_day).cast("int64"),
        days_since_last_purchase=(
            ibis.literal(end, type="int64") - per_customer.last_day
        ).cast("int64"),
        mean_order_value=_ratio(per_customer.total_spend, per_customer.orders),
        monetary_value=_ratio(
            per_customer.total_spend - per_customer.first_day_spend, frequency
        ),
        mean_interpurchase_days=_ratio(recency, frequency),
    )


def customer_features(
    table: ir.Table,
    *,
    observation_end: DateLike,
    customer_col: str = "customer_id",
    datetime_col: str = "date",
    amount_col: str | None = None,
    windows: Sequence[int] = DEFAULT_WINDOWS,
) -> ir.Table:
    """Per-customer purchase features as of the end of ``observation_end``.

    Purchases after ``observation_end`` are ignored, so one history gives the
    features at any cut-off. Columns (day counts are integers, money float64):

    - ``customer_id``, ``first_day``, ``last_day`` (day numbers),
    - ``purchase_days`` (distinct days with a purchase), ``orders`` (rows),
      ``total_spend``, ``mean_order_value`` (spend per transaction),
    - ``frequency`` (purchase days - 1), ``recency`` (first to last purchase
      day), ``T`` (first purchase to observation end), ``monetary_value``
      (mean spend of the repeat purchase days, 0 when there are none),
    - ``days_since_last_purchase``, ``mean_interpurchase_days`` (recency /
      frequency, 0 without repeats),
    - for each window ``w``: ``orders_{w}d``, ``purchase_days_{w}d``,
      ``spend_{w}d``.
    """
    end = _epoch_day(observation_end, "observation_end")
    for window in windows:
        if int(window) <= 0:
            raise AnalyticsInputError(
                f"windows: {window} is not a positive number of days"
            )
    daily = purchase_days(
        table,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
    )
    result = _per_customer(daily.filter(daily.day <= end), end=end, windows=windows)
    leading = [
        "customer_id",
        "first_day",
        "last_day",
        "purchase_days",
        "orders",
        "total_spend",
        "mean_order_value",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "days_since_last_purchase",
        "mean_interpurchase_days",
    ]
    windowed = [
        f"{kind}_{window}d"
        for window in windows
        for kind in ("orders", "purchase_days", "spend")
    ]
    return result.select(*leading, *windowed)


def interaction_features(
    table: ir.Table,
    *,
    observation_end: DateLike,
    customer_col: str = "customer_id",
    datetime_col: str = "date",
    kind_col: str | None = None,
    complaint_kinds: Sequence[str] = ("complaint",),
    windows: Sequence[int] = (30, 90),
) -> ir.Table:
    """Per-customer contact features (interactions, complaints) at ``observation_end``.

    Columns: ``customer_id``, ``contacts`` (all contacts so far),
    ``days_since_last_contact``, ``contacts_{w}d`` for each window and, with
    ``kind_col``, ``complaints`` and ``complaints_{w}d`` (rows whose kind is
    one of ``complaint_kinds``). Contacts after ``observation_end`` are ignored.
    """
    _require_columns(table, [customer_col, datetime_col, kind_col])
    end = _epoch_day(observation_end, "observation_end")
    is_complaint = (
        table[kind_col].isin(list(complaint_kinds)) if kind_col is not None else None
    )
    rows = table.select(
        customer_id=table[customer_col],
        day=day_number(table[datetime_col]),
        complaint=(
            is_complaint.cast("int64")
            if is_complaint is not None
            else ibis.literal(0, type="int64")
        ),
    )
    rows = rows.filter(rows.day <= end)
    aggregates: dict[str, ir.Value] = {
        "contacts": rows.count().cast("int64"),
        "days_since_last_contact": (
            ibis.literal(end, type="int64") - rows.day.max()
        ).cast("int64"),
    }
    if kind_col is not None:
        aggregates["complaints"] = rows.complaint.sum().cast("int64")
    for window in windows:
        inside = rows.day > end - int(window)
        aggregates[f"contacts_{window}d"] = rows.count(where=inside).cast("int64")
        if kind_col is not None:
            aggregates[f"complaints_{window}d"] = (
                rows.complaint.sum(where=inside).fill_null(0).cast("int64")
            )
    return rows.group_by("customer_id").aggregate(**aggregates)


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
