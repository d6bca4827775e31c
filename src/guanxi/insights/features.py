"""Per-customer features computed inside the database, through Ibis.

The scoring run reads no order row into Python. It rolls the orders up into
one row per customer and purchase day in a temporary table of the run's own
connection (:func:`purchase_days_table`), then runs the analytics' shared
feature definitions (:func:`guanxi.analytics.features.features_from_days`,
:func:`~guanxi.analytics.features.interaction_features`) on it and on the
interactions as SQL in the database; only the per-customer results come back
as data frames.

Days are local calendar days of the business (``TIME_ZONE``), at the zone's
UTC offset on the as-of date, the same on every backend. Counted orders are
those paid or partially refunded (pending, cancelled and refunded orders are
not purchases).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection

from guanxi.analytics.dates import EPOCH
from guanxi.commerce.selectors import PURCHASE_STATUSES, order_table_name
from guanxi.core.arrow import arrow_reads_possible
from guanxi.core.sqlite_reader import SqliteReader
from guanxi.customers.selectors import (
    customer_table_name,
    interaction_table_name,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import numpy as np
    import pandas as pd

# Ibis, pandas and NumPy are imported where they are used: Django's set-up
# imports this module (through the scoring run's services), and a scoring run
# imports them in a thread while the database rolls up the purchase days.

__all__ = ["Features", "ibis_connection", "purchase_days_table"]

#: The interaction kinds the emotion layer counts (customers.choices).
ENGAGEMENT_KINDS = (
    "visit",
    "login",
    "message_opened",
    "message_clicked",
    "community_post",
    "event_attended",
    "review",
    "complaint",
)
#: The temporary table of purchase days, one per run's connection.
DAYS_TABLE = "gx_purchase_days"


def utc_offset_seconds(as_of: dt.date) -> int:
    """The business's time zone's UTC offset at noon of ``as_of``, in seconds."""
    zone = zoneinfo.ZoneInfo(str(settings.TIME_ZONE))
    noon = dt.datetime.combine(as_of, dt.time(12), tzinfo=zone)
    offset = noon.utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def day_of(as_of: dt.date) -> int:
    """``as_of`` as a day number (days since 1970-01-01)."""
    return (as_of - EPOCH).days


@contextmanager
def ibis_connection() -> Iterator[Any]:
    """An Ibis backend on Django's own database connection (the same
    transaction and temporary tables; nothing opened beside it)."""
    import ibis

    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        yield ibis.sqlite.from_connection(raw)
    elif connection.vendor == "postgresql":
        yield ibis.postgres.from_connection(raw)
    else:  # pragma: no cover - settings allow only these two
        raise RuntimeError(
            f"scoring runs need SQLite or PostgreSQL, not {connection.vendor}"
        )


def purchase_days_table(
    con: Any, *, as_of: dt.date, sqlite_execute: Any = None
) -> ir.Table:
    """Orders up to the end of ``as_of`` rolled up into a temporary table:
    ``customer_id``, ``day``, ``orders``, ``amount`` (one row per customer and
    day), keyed by (customer, day).

    PostgreSQL: the analytics' purchase-day expression, run in the database.
    SQLite (Django's connection, or ``sqlite_execute`` running SQL on another
    connection to the same database): the same rows by one pass over the
    orders in the order of their (customer, time) index, adding each order to
    its day's row — several times quicker there than the expression's GROUP
    BY, which sorts every order first (10 M orders: about 10 s against 17 s).
    """
    offset = utc_offset_seconds(as_of)
    end = day_of(as_of)
    statuses = list(PURCHASE_STATUSES)
    if sqlite_execute is None and connection.vendor == "sqlite":
        sqlite_execute = django_execute
    if sqlite_execute is not None:
        sqlite_execute(f"DROP TABLE IF EXISTS temp.{DAYS_TABLE}", [])
        sqlite_execute(
            f"CREATE TEMP TABLE {DAYS_TABLE} (customer_id INTEGER NOT NULL, "
            "day INTEGER NOT NULL, orders INTEGER NOT NULL, amount REAL NOT NULL, "
            "PRIMARY KEY (customer_id, day)) WITHOUT ROWID",
            [],
        )
        marks = ", ".join(["?"] * len(statuses))
        # julianday() of midnight 1970-01-01 is 2440587.5; orders are never
        # before 1970 (core.values), so truncation is the floor.
        sqlite_execute(
            f"INSERT INTO {DAYS_TABLE} (customer_id, day, orders, amount) "
            "SELECT customer_id, day, 1, amount FROM ("
            "SELECT customer_id, CAST(julianday(ordered_at, ?) - 2440587.5 "
            "AS INTEGER) AS day, CAST(amount AS REAL) AS amount "
            f"FROM {order_table_name()} WHERE status IN ({marks}) "
            "ORDER BY customer_id) AS o WHERE day <= ? "
            "ON CONFLICT (customer_id, day) DO UPDATE SET "
            "orders = orders + 1, amount = amount + excluded.amount",
            [f"{offset:+d} seconds", *statuses, end],
        )
        return con.table(DAYS_TABLE, database="temp")
    orders = con.table(order_table_name())
    orders = orders.filter(orders.status.isin(statuses))
    rows = orders.select(
        customer_id=orders.customer_id,
        day=local_day(orders.ordered_at, offset),
        amount=orders.amount.cast("float64"),
    )
    rows = rows.filter(rows.day <= end)
    days = rows.group_by(["customer_id", "day"]).aggregate(
        orders=rows.count().cast("int64"), amount=rows.amount.sum().cast("float64")
    )
    con.create_table(DAYS_TABLE, days, temp=True)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {DAYS_TABLE} ADD PRIMARY KEY (customer_id, day)")
        cursor.execute(f"ANALYZE {DAYS_TABLE}")
    return con.table(DAYS_TABLE)


def fetch_frame(
    con: Any, expr: ir.Table, *, cursor: Any = None, batch: int = 100_000
) -> pd.DataFrame:
    """Run ``expr`` on Django's own connection (or on ``cursor``, a DB-API
    cursor of another connection) and read the result a column at a time, in
    batches (Ibis's SQLite backend builds its frame row by row, which took
    longer than the query for a million customers). Numeric results only:
    integer columns stay integers unless they hold NULL (then floats, NaN)."""
    import numpy as np
    import pandas as pd

    sql = str(con.compile(expr))
    with _cursor(cursor) as reader:
        reader.execute(sql)
        names = [column[0] for column in reader.description]
        parts: list[list[np.ndarray[Any, Any]]] = []
        while rows := reader.fetchmany(batch):
            parts.append([_numeric(values) for values in zip(*rows, strict=True)])
    if not parts:
        return pd.DataFrame({name: pd.Series(dtype="float64") for name in names})
    columns = {}
    for i, name in enumerate(names):
        pieces = [part[i] for part in parts]
        if any(p.dtype.kind == "f" for p in pieces):
            pieces = [p.astype("float64") for p in pieces]
        columns[name] = np.concatenate(pieces)
    return pd.DataFrame(columns)


@contextmanager
def _cursor(given: Any) -> Iterator[Any]:
    if given is not None:
        yield given
        return
    with connection.cursor() as cursor:
        yield cursor


def _numeric(values: tuple[Any, ...]) -> np.ndarray[Any, Any]:
    import numpy as np

    if None in values:
        return np.array(values, dtype="float64")
    array = np.array(values)
    if array.dtype.kind not in "iuf":
        return np.array(values, dtype="float64")
    return array


def django_execute(sql: str, params: list[Any]) -> None:
    """SQL with ``?`` placeholders on Django's connection."""
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("?", "%s"), params)


#: The columns of the tables the features read, for connections Ibis does not
#: drive (:class:`AdbcSource`).
SCHEMAS: dict[str, dict[str, str]] = {
    DAYS_TABLE: {
        "customer_id": "int64",
        "day": "int64",
        "orders": "int64",
        "amount": "float64",
    },
    "gx_interactions": {"customer_id": "int64", "date": "int64", "kind": "string"},
}


class AdbcSource:
    """A SQLite connection through ADBC, shaped like the Ibis backends the
    features use (``table``, ``compile``, ``execute``) plus ``sql`` for
    statements. Results come back as Arrow columns, never as Python rows:
    for a million customers that is seconds instead of half a minute."""

    def __init__(self, path: str) -> None:
        # In a process of its own: the driver's copy of SQLite must never
        # open the file inside this one (guanxi.core.sqlite_reader).
        self.reader = SqliteReader(path)

    def table(self, name: str, database: str | None = None) -> ir.Table:
        import ibis

        schema = SCHEMAS.get(name) or {"id": "int64"}
        return ibis.table(schema, name=name)

    def compile(self, expr: ir.Table) -> str:
        import ibis

        return str(ibis.to_sql(expr, dialect="sqlite"))

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        frame: pd.DataFrame = self.reader.read(self.compile(expr)).to_pandas()
        return frame

    def sql(self, statement: str, params: list[Any]) -> None:
        self.reader.execute(statement, params)

    def close(self) -> None:
        self.reader.close()


@contextmanager
def adbc_sources(count: int) -> Iterator[list[AdbcSource] | None]:
    """``count`` ADBC connections to Django's SQLite database, or None where
    they would not do: PostgreSQL, an in-memory database, or inside a
    transaction (another connection would not see its rows)."""
    if not arrow_reads_possible():
        yield None
        return
    name = str(connection.settings_dict["NAME"])
    sources = [AdbcSource(name) for _ in range(count)]
    try:
        yield sources
    finally:
        for source in sources:
            source.close()


def drop_purchase_days() -> None:
    """Drop the run's temporary tables from Django's connection."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {DAYS_TABLE}")
        cursor.execute(f"DROP TABLE IF EXISTS {INTERACTIONS_TABLE}")


@dataclass(frozen=True)
class Features:
    """What the database says of every customer at a date (frames indexed by
    nothing; ``customer_id`` is a column)."""

    customers: pd.DataFrame  # customer_id, first_seen (day number or NaN)
    purchases: pd.DataFrame  # customer_features at as_of
    contacts: pd.DataFrame  # interaction_features at as_of
    engagement: pd.DataFrame  # customer_id, one count column per kind


def customer_ids(con: Any) -> ir.Table:
    """Every customer's id (``customer_id``), in ascending order."""
    table = con.table(customer_table_name())
    return table.select(customer_id=table.id).order_by("customer_id")


def purchase_features(
    days: ir.Table,
    *,
    end: dt.date,
    windows: Sequence[int],
    sample_every: int = 1,
    holdout_end: dt.date | None = None,
) -> ir.Table:
    """The shared purchase features at the end of ``end`` (optionally of every
    ``sample_every``-th customer by id: the churn model's training sample;
    with ``holdout_end``, also the purchase days after ``end`` up to it,
    ``holdout_days_``: its labels)."""
    from guanxi.analytics.features import features_from_days

    source = (
        days if sample_every == 1 else days.filter(days.customer_id % sample_every == 0)
    )
    return features_from_days(
        source,
        observation_end=end,
        windows=windows,
        lookup=days,
        holdout_end=holdout_end,
    )


def buyer_count(days: ir.Table, *, end: dt.date) -> ir.Table:
    """How many customers bought by the end of ``end`` (one row, ``buyers``):
    as many as :func:`purchase_features` at ``end`` has rows."""
    buyers = days.filter(days.day <= day_of(end)).select("customer_id").distinct()
    return buyers.aggregate(buyers=buyers.count())


def local_day(moment: ir.TimestampValue, offset: int) -> ir.IntegerValue:
    """The local day number of a UTC timestamp at a fixed UTC offset (seconds):
    floor((epoch seconds + offset) / 86400), the same on every backend."""
    seconds = moment.epoch_seconds().cast("int64") + offset
    day: ir.IntegerValue = (seconds // 86400).cast("int64")
    return day


INTERACTIONS_TABLE = "gx_interactions"


def interactions_table(
    con: Any, *, as_of: dt.date, sqlite_execute: Any = None
) -> ir.Table:
    """The interactions up to the end of ``as_of`` with their local day, in a
    temporary table of ``con``'s connection: ``customer_id``, ``date`` (a day
    number), ``kind`` — the day worked out once per interaction, not once per
    feature query.

    ``sqlite_execute`` (a callable running SQL with parameters on ``con``'s
    SQLite connection): the rows by SQLite's ``julianday`` (its time
    arithmetic in C). Otherwise the Ibis expression, run in the database.
    """
    offset = utc_offset_seconds(as_of)
    end = day_of(as_of)
    if sqlite_execute is not None:
        sqlite_execute(f"DROP TABLE IF EXISTS temp.{INTERACTIONS_TABLE}", [])
        sqlite_execute(
            f"CREATE TEMP TABLE {INTERACTIONS_TABLE} AS SELECT customer_id, "
            "CAST(julianday(occurred_at, ?) - 2440587.5 AS INTEGER) AS date, kind "
            f"FROM {interaction_table_name()} WHERE julianday(occurred_at, ?) "
            "- 2440587.5 < ?",
            [f"{offset:+d} seconds", f"{offset:+d} seconds", end + 1],
        )
        return con.table(INTERACTIONS_TABLE, database="temp")
    table = con.table(interaction_table_name())
    rows = table.select(
        customer_id=table.customer_id,
        date=local_day(table.occurred_at, offset),
        kind=table.kind,
    )
    return con.create_table(
        INTERACTIONS_TABLE, rows.filter(rows.date <= end), temp=True, overwrite=True
    )


def contact_features(
    rows: ir.Table, *, end: dt.date, windows: Sequence[int]
) -> ir.Table:
    """The shared contact features (contacts, complaints) at the end of ``end``
    of the interactions ``rows`` (:func:`interactions_table`)."""
    from guanxi.analytics.features import interaction_features

    return interaction_features(
        rows, observation_end=end, kind_col="kind", windows=windows
    )


def engagement_counts(rows: ir.Table, *, as_of: dt.date, window_days: int) -> ir.Table:
    """Per customer, how many interactions of each engagement kind in the
    ``window_days`` days up to the end of ``as_of``."""
    end = day_of(as_of)
    inside = rows.filter((rows.date <= end) & (rows.date > end - int(window_days)))
    counts = {
        kind: inside.count(where=inside.kind == kind).cast("int64")
        for kind in ENGAGEMENT_KINDS
    }
    return inside.group_by("customer_id").aggregate(**counts)
