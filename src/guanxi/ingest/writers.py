"""Fast row inserts for imports: one prepared INSERT run with ``executemany``.

Django's ``bulk_create`` prepares every field of every object in Python, which
costs more than the database does for a million rows. Imports already hold
clean, validated values, so they are written as tuples. Every concrete column
is written: columns this module does not fill get the field's default, so a
column added later by a migration keeps working. Primary keys are reserved up
front (SQLite: the writer holds the database lock for the whole import;
PostgreSQL: ``nextval`` on the column's sequence), so order lines can point at
their orders without reading them back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import Any

from django.db import connection, models

__all__ = [
    "RowWriter",
    "SecondaryIndexes",
    "adapt_datetime",
    "datetime_adapter",
    "utc_text",
]


def _utc_text(value: dt.datetime) -> str:
    offset = value.utcoffset()
    if offset:
        value -= offset
    return value.replace(tzinfo=None).isoformat(" ")


def _as_is(value: dt.datetime | str) -> Any:
    if value.__class__ is str:
        return dt.datetime.fromisoformat(f"{value}+00:00")
    return value


def utc_text(value: dt.datetime) -> str:
    """An aware datetime as naive UTC text, the way Django stores it on SQLite
    (``2024-01-05 06:30:00``)."""
    return _utc_text(value)


def _text_or_utc(value: dt.datetime | str) -> str:
    return value if isinstance(value, str) else _utc_text(value)


def adapt_datetime(value: dt.datetime | str) -> Any:
    """An aware datetime (or UTC text from :func:`utc_text`) as the database
    driver wants it (SQLite: UTC text, as Django writes it; PostgreSQL: an
    aware datetime)."""
    return datetime_adapter()(value)


def datetime_adapter() -> Callable[[dt.datetime | str], Any]:
    """The adapter for the current database, looked up once per import."""
    return _text_or_utc if connection.vendor == "sqlite" else _as_is


class RowWriter:
    """Inserts rows of one model given as tuples in the order of ``columns``."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        self.columns = list(columns)
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

    def insert(self, rows: Iterable[tuple[Any, ...]], *, with_pk: bool = False) -> None:
        """Insert the rows: many rows per statement (one statement per row
        costs the database more than the row itself), the rest one by one."""
        tail = tuple(self.defaults)
        data = [row + tail for row in rows]
        if not data:
            return
        sql = self.sql_with_pk if with_pk else self.sql
        width = len(data[0])
        limit = connection.features.max_query_params or 65535  # PostgreSQL: none
        per = max(1, min(100, limit // width))
        whole = len(data) // per * per if per > 1 else 0
        with connection.cursor() as cursor:
            if whole:
                values = sql[sql.index(" VALUES ") + len(" VALUES ") :]
                many = sql + (", " + values) * (per - 1)
                cursor.executemany(
                    many,
                    [
                        list(chain.from_iterable(data[start : start + per]))
                        for start in range(0, whole, per)
                    ],
                )
            if whole < len(data):
                cursor.executemany(sql, data[whole:])

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


class SecondaryIndexes:
    """A table's non-unique indexes, dropped for a large insert and built again
    after it, in the same transaction (SQLite only).

    Building an index once from sorted rows is several times cheaper than
    keeping it up to date row by row. SQLite's DDL is transactional: a rollback
    brings the indexes back, and readers (WAL) keep seeing the old state with
    its indexes until the import commits. Unique indexes stay: imports look
    rows up by them.
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.table = model._meta.db_table
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
                if not str(sql).upper().startswith("CREATE UNIQUE")
            ]
            for name, _sql in found:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        self.dropped = found

    def restore(self) -> None:
        with connection.cursor() as cursor:
            for _name, sql in self.dropped:
                cursor.execute(sql)
        self.dropped = []
