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

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
from ibis import _
from ibis.expr.types.groupby import GroupedTable

from guanxi.analytics.dates import EPOCH, DateLike
from guanxi.analytics.dates import day_number as _epoch_day
from guanxi.analytics.errors import AnalyticsInputError

__all__ = [
    "DEFAULT_WINDOWS",
    "connect_duckdb",
    "connect_spark",
    "customer_features",
    "day_number",
    "features_from_days",
    "interaction_features",
    "purchase_days",
    "read_transactions",
]

DEFAULT_WINDOWS: tuple[int, ...] = (30, 90, 365)


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
    """Whole days since 1970-01-01 of a date, timestamp or ISO date-string column
    (an integer column is taken to hold day numbers already).

    Timestamps are truncated to their calendar date first (no time zone is
    applied), so two purchases on the same day get the same number.
    """
    if column.type().is_integer():
        days: ir.IntegerValue = column.cast("int64")
        return days
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
    lookup: ir.Table | None = None,
) -> ir.Table:
    """Per-customer aggregates of the purchase days up to day ``end``.

    ``daily`` has one row per customer and purchase day (``customer_id``,
    ``day``, ``orders``, ``amount``). Customers without a purchase by ``end``
    are left out. With ``holdout_end``, also ``holdout_days_`` and
    ``holdout_spend_`` of the days in (end, holdout_end]. One pass of
    filtered aggregates over the days, then the first day's spend, looked
    up in ``lookup`` (default ``daily``; a table holding at least the same
    days, e.g. ``daily`` before a filter, so a database can use its key).
    """
    rows = daily if holdout_end is not None else daily.filter(daily.day <= end)
    before = rows.day <= end
    aggregates: dict[str, ir.Value] = {
        "first_day": rows.day.min(where=before),
        "last_day": rows.day.max(where=before),
        "purchase_days": rows.count(where=before).cast("int64"),
        "orders": rows.orders.sum(where=before).cast("int64"),
        "total_spend": rows.amount.sum(where=before).cast("float64"),
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
    totals = rows.group_by("customer_id").aggregate(**aggregates)
    totals = totals.filter(totals.purchase_days > 0)
    # The first day's spend: a lookup of each customer's first day in the
    # days themselves (on SQLite by the table's (customer, day) key, once per
    # customer). Portable: ``arg_min`` is not (Ibis's SQLite backend gets it
    # wrong), and a window over every day is slower on each backend.
    first = (lookup if lookup is not None else daily).select(
        first_customer_="customer_id", first_day_="day", first_day_spend="amount"
    )
    per_customer = totals.join(
        first,
        [
            totals.customer_id == first.first_customer_,
            totals.first_day == first.first_day_,
        ],
    ).drop("first_customer_", "first_day_")
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


_FEATURE_COLUMNS = (
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
)


def _windowed(windows: Sequence[int]) -> list[str]:
    return [
        f"{kind}_{window}d"
        for window in windows
        for kind in ("orders", "purchase_days", "spend")
    ]


def _check_windows(windows: Sequence[int]) -> None:
    for window in windows:
        if int(window) <= 0:
            raise AnalyticsInputError(
                f"windows: {window} is not a positive number of days"
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
    _check_windows(windows)
    daily = purchase_days(
        table,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
    )
    result = _per_customer(daily.filter(daily.day <= end), end=end, windows=windows)
    return result.select(*_FEATURE_COLUMNS, *_windowed(windows))


def features_from_days(
    daily: ir.Table,
    *,
    observation_end: DateLike,
    windows: Sequence[int] = DEFAULT_WINDOWS,
    lookup: ir.Table | None = None,
    holdout_end: DateLike | None = None,
) -> ir.Table:
    """:func:`customer_features` from purchase days already rolled up.

    ``daily`` has one row per customer and purchase day: ``customer_id``,
    ``day`` (day number, see :func:`day_number`), ``orders`` and ``amount``
    — what :func:`purchase_days` gives, or a table a database keeps or
    builds (the insights app's scoring runs). ``lookup``: see
    :func:`_per_customer`. With ``holdout_end``, also ``holdout_days_`` and
    ``holdout_spend_``: the purchase days after ``observation_end`` up to the
    end of ``holdout_end`` and their spend (what a churn model's labels say).
    """
    end = _epoch_day(observation_end, "observation_end")
    _check_windows(windows)
    holdout = None if holdout_end is None else _epoch_day(holdout_end, "holdout_end")
    result = _per_customer(
        daily, end=end, windows=windows, lookup=lookup, holdout_end=holdout
    )
    extra = () if holdout is None else ("holdout_days_", "holdout_spend_")
    return result.select(*_FEATURE_COLUMNS, *_windowed(windows), *extra)


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
            # ifelse, not a cast: PostgreSQL casts no boolean to bigint.
            is_complaint.ifelse(1, 0).cast("int64")
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


def __getattr__(name: str) -> Any:
    # rfm_summary_ibis moved to guanxi.analytics.summary_ibis; still found here.
    if name == "rfm_summary_ibis":
        from guanxi.analytics.summary_ibis import rfm_summary_ibis

        return rfm_summary_ibis
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
