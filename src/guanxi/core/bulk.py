"""Fast row inserts with no domain: tuples straight into one table.

Django's ``bulk_create`` prepares every field of every object in Python, which
costs more than the database does for a million rows. The bulk writers of the
apps that own the tables (``customers.bulk``, ``commerce.bulk``) hold clean,
validated values and write them as tuples through :class:`RowWriter`: many rows
per ``INSERT`` run with ``executemany`` on SQLite, ``COPY`` on PostgreSQL.
Every concrete column is written: columns a caller does not fill get the
field's default, so a column added later by a migration keeps working.
Primary keys are reserved up front (SQLite: the writer holds the database lock
for the whole transaction; PostgreSQL: ``nextval`` on the column's sequence),
so order lines can point at their orders without reading them back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from itertools import chain
from typing import Any

import numpy as np
from django.db import connection, models

__all__ = [
    "Prepared",
    "RowWriter",
    "SecondaryIndexes",
    "adapt_datetime",
    "bulk_session",
    "datetime_adapter",
    "highest_id",
    "sequences_move_past",
    "utc_text",
]


def _utc_text(value: dt.datetime) -> str:
    offset = value.utcoffset()
    if offset:
        value -= offset
    return value.replace(tzinfo=None).isoformat(" ")


def _as_is(value: dt.datetime | str) -> Any:
    # PostgreSQL takes the text through COPY, its offset added.
    if value.__class__ is str:
        return f"{value}+00:00"
    return value


def utc_text(value: dt.datetime) -> str:
    """An aware datetime as naive UTC text, the way Django stores it on SQLite
    (``2024-01-05 06:30:00``)."""
    return _utc_text(value)


def _text_or_utc(value: dt.datetime | str) -> str:
    return value if isinstance(value, str) else _utc_text(value)


def adapt_datetime(value: dt.datetime | str) -> Any:
    """An aware datetime (or UTC text from :func:`utc_text`) as
    :class:`RowWriter` writes it (SQLite: UTC text, as Django writes it;
    PostgreSQL: an aware datetime, or the text with its offset)."""
    return datetime_adapter()(value)


def datetime_adapter() -> Callable[[dt.datetime | str], Any]:
    """The adapter for the current database, looked up once per import."""
    return _text_or_utc if connection.vendor == "sqlite" else _as_is


@dataclass(frozen=True)
class Prepared:
    """Rows made ready by :meth:`RowWriter.prepare`: SQLite's statements with
    their parameters, or PostgreSQL's rows for ``COPY``."""

    statements: list[tuple[str, list[Any]]] = dataclass_field(default_factory=list)
    copy_rows: list[Sequence[Any]] = dataclass_field(default_factory=list)
    with_pk: bool = False


class RowWriter:
    """Inserts rows of one model given as tuples in the order of ``columns``."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        self.columns = list(columns)
        self.postgres = connection.vendor == "postgresql"
        quote = connection.ops.quote_name
        fields = list(model._meta.concrete_fields)
        by_name = {f.name: f for f in fields}
        unknown = set(self.columns) - set(by_name)
        if unknown:
            raise ValueError(f"{model.__name__} has no field {sorted(unknown)}")
        self.defaults: list[Any] = []
        rest = []
        for field in fields:
            if field.name in self.columns or field.primary_key:
                continue
            rest.append(field)
            self.defaults.append(
                field.get_db_prep_save(field.get_default(), connection)
            )
        names = [str(by_name[c].column) for c in self.columns] + [
            str(f.column) for f in rest
        ]
        pk = model._meta.pk
        assert pk is not None
        self.pk_column = str(pk.column)
        self.table = model._meta.db_table
        self.copy_sql = "COPY {} ({}) FROM STDIN".format(
            quote(self.table), ", ".join(quote(n) for n in names)
        )
        self.copy_sql_with_pk = "COPY {} ({}, {}) FROM STDIN".format(
            quote(self.table),
            quote(self.pk_column),
            ", ".join(quote(n) for n in names),
        )
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(self.table),
            ", ".join(quote(n) for n in names),
            ", ".join(["%s"] * len(names)),
        )
        self.sql_with_pk = "INSERT INTO {} ({}, {}) VALUES ({})".format(
            quote(self.table),
            quote(self.pk_column),
            ", ".join(quote(n) for n in names),
            ", ".join(["%s"] * (len(names) + 1)),
        )
        self._next: int | None = None

    def insert(
        self, rows: Iterable[Sequence[Any]] | np.ndarray, *, with_pk: bool = False
    ) -> None:
        """Insert the rows (tuples, or an object array as :meth:`prepare`
        takes). SQLite: many rows per statement (one statement per row costs
        the database more than the row itself), the rest one by one;
        PostgreSQL: one ``COPY``, tuples read as they come."""
        if self.postgres and not isinstance(rows, np.ndarray):
            tail = tuple(self.defaults)
            self._copy((tuple(row) + tail for row in rows), with_pk=with_pk)
            return
        listed = rows if isinstance(rows, np.ndarray) else list(rows)
        self.write(self.prepare(listed, with_pk=with_pk))

    def prepare(
        self, rows: Sequence[Sequence[Any]] | np.ndarray, *, with_pk: bool = False
    ) -> Prepared:
        """The rows made ready for :meth:`write`, the database not touched.
        ``rows`` may be a two-dimensional object array, a row per line: each
        statement's parameters are then cut from it whole, with no tuple per
        row."""
        if isinstance(rows, np.ndarray) and self.defaults and len(rows):
            tail = np.empty((len(rows), len(self.defaults)), object)
            tail[:] = self.defaults
            rows = np.hstack([rows, tail])
        elif not isinstance(rows, np.ndarray):
            ends = tuple(self.defaults)
            rows = [tuple(row) + ends for row in rows]
        if self.postgres:
            listed = rows.tolist() if isinstance(rows, np.ndarray) else rows
            return Prepared(copy_rows=listed, with_pk=with_pk)
        count = len(rows)
        if not count:
            return Prepared(with_pk=with_pk)
        sql = self.sql_with_pk if with_pk else self.sql
        width = len(rows[0])
        limit = connection.features.max_query_params or 65535  # PostgreSQL: none
        per = max(1, min(100, limit // width))
        whole = count // per * per if per > 1 else 0
        statements: list[tuple[str, list[Any]]] = []
        if whole:
            values = sql[sql.index(" VALUES ") + len(" VALUES ") :]
            many = sql + (", " + values) * (per - 1)
            grouped: list[Any] = (
                rows[:whole].reshape(-1, per * width).tolist()
                if isinstance(rows, np.ndarray)
                else [
                    list(chain.from_iterable(rows[start : start + per]))
                    for start in range(0, whole, per)
                ]
            )
            statements.append((many, grouped))
        if whole < count:
            rest: list[Any] = (
                rows[whole:].tolist() if isinstance(rows, np.ndarray) else rows[whole:]
            )
            statements.append((sql, rest))
        return Prepared(statements=statements, with_pk=with_pk)

    def write(self, prepared: Prepared) -> None:
        """Write rows made ready by :meth:`prepare` (in the caller's
        transaction)."""
        if self.postgres:
            self._copy(prepared.copy_rows, with_pk=prepared.with_pk)
            return
        with connection.cursor() as cursor:
            for sql, params in prepared.statements:
                cursor.executemany(sql, params)

    def _copy(self, rows: Iterable[Sequence[Any]], *, with_pk: bool) -> None:
        sql = self.copy_sql_with_pk if with_pk else self.copy_sql
        # psycopg's own cursor under Django's wrapper; its errors become
        # Django's (IntegrityError …) as for every other statement.
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(sql) as copy,
        ):
            write = copy.write_row
            for row in rows:
                write(row)

    def ids_after_highest(self, count: int) -> list[int]:
        """``count`` ids above the highest in the table, whatever the id
        sequence says: for a writer that derives values from its ids and wants
        the same ids in an empty table. Call :func:`sequences_move_past` after
        writing them."""
        first = highest_id(self.model) + 1
        return list(range(first, first + count))

    def reserve(self, count: int) -> list[int]:
        """``count`` primary keys nobody else will use."""
        if count <= 0:
            return []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                    "FROM generate_series(1, %s)",
                    [self.table, self.pk_column, count],
                )
                return [row[0] for row in cursor.fetchall()]
            if self._next is None:
                # Inside the import's transaction SQLite lets no other writer in.
                cursor.execute(
                    f"SELECT MAX({connection.ops.quote_name(self.pk_column)}) FROM {connection.ops.quote_name(self.table)}"
                )
                highest = cursor.fetchone()[0] or 0
                cursor.execute(
                    "SELECT seq FROM sqlite_sequence WHERE name = %s", [self.table]
                )
                row = cursor.fetchone()
                self._next = max(highest, row[0] if row else 0) + 1
            first = self._next
            self._next += count
            return list(range(first, first + count))


def highest_id(model: type[models.Model]) -> int:
    """The highest primary key in the table (0 when empty)."""
    pk = model._meta.pk
    assert pk is not None
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MAX({quote(str(pk.column))}) FROM {quote(model._meta.db_table)}"
        )
        row = cursor.fetchone()
    return int(row[0] or 0) if row else 0


def sequences_move_past(tables: Iterable[type[models.Model]]) -> None:
    """After rows were written with explicit ids: move the id sequences past
    them, and refresh the planner's statistics."""
    from django.core.management.color import no_style

    chosen = list(tables)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), chosen):
            cursor.execute(sql)
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            for model in chosen:
                quote = connection.ops.quote_name
                cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


class bulk_session:
    """Settings for one large write on SQLite, restored after: a larger page
    cache and, where the caller writes ids it has just allocated itself (so
    foreign keys hold by construction), no per-row foreign key check. Outside
    a transaction only: SQLite ignores ``foreign_keys`` inside one."""

    def __init__(self, *, check_foreign_keys: bool = True) -> None:
        self.check_foreign_keys = check_foreign_keys

    def __enter__(self) -> None:
        self.sqlite = connection.vendor == "sqlite" and not connection.in_atomic_block
        if self.sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size=-262144")  # 256 MB of pages
                # Sorts larger than the page cache (building an index over
                # millions of rows) spill to a temporary file instead of
                # growing in memory; SQLite refuses this switch inside a
                # transaction, hence here.
                cursor.execute("PRAGMA temp_store=FILE")
                if not self.check_foreign_keys:
                    cursor.execute("PRAGMA foreign_keys=OFF")

    def __exit__(self, *exc: object) -> None:
        if self.sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size=-65536")
                cursor.execute("PRAGMA temp_store=MEMORY")
                if not self.check_foreign_keys:
                    cursor.execute("PRAGMA foreign_keys=ON")


class SecondaryIndexes:
    """A table's secondary indexes, dropped for a large insert and built again
    after it, in the same transaction (SQLite only).

    Building an index once from sorted rows is several times cheaper than
    keeping it up to date row by row. SQLite's DDL is transactional: a rollback
    brings the indexes back, and readers (WAL) keep seeing the old state with
    its indexes until the writer commits. Unique indexes stay unless the
    caller says otherwise: writers look rows up by them, and they hold the
    rule row by row; building one again checks the whole table (a duplicate
    fails the transaction with an ``IntegrityError``).
    """

    def __init__(self, model: type[models.Model], *, unique: bool = False) -> None:
        self.table = model._meta.db_table
        self.unique = unique
        self.dropped: list[tuple[str, str]] = []

    def drop(self) -> None:
        if connection.vendor != "sqlite" or self.dropped:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = %s AND sql IS NOT NULL ORDER BY name",
                [self.table],
            )
            found = [
                (str(name), str(sql))
                for name, sql in cursor.fetchall()
                if self.unique or not str(sql).upper().startswith("CREATE UNIQUE")
            ]
            for name, _sql in found:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        self.dropped = found

    def restore(self) -> None:
        with connection.cursor() as cursor:
            for _name, sql in self.dropped:
                cursor.execute(sql)
        self.dropped = []
