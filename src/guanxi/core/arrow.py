"""Query results as Arrow columns from the embedded SQLite database.

Python's ``sqlite3`` hands a result over as one tuple per row; for millions of
rows that costs more than the query. An ADBC connection of its own returns the
same result as Arrow columns, built in C while the GIL is free (in a process
of its own: :mod:`guanxi.core.sqlite_reader` says why). It is only
possible where another connection sees the same rows: SQLite in a file, and
not inside a transaction of Django's connection (whose uncommitted rows a
second connection would not see).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection

__all__ = ["ArrowRead", "arrow_reads_possible", "qmark", "sqlite_arrow_reader"]

#: ``read(sql, params)`` → a ``pyarrow.Table``; ``sql`` in Django's style (``%s``).
ArrowRead = Callable[[str, Sequence[Any]], Any]


def arrow_reads_possible() -> bool:
    """Whether :func:`sqlite_arrow_reader` can read the database here."""
    name = str(connection.settings_dict.get("NAME", ""))
    return (
        connection.vendor == "sqlite"
        and not connection.in_atomic_block
        and bool(name)
        and name != ":memory:"
        and not name.startswith("file:")
    )


def qmark(sql: str) -> str:
    """SQL written for Django's cursors (``%s`` parameters, ``%%`` for a
    percent sign) in the ``?`` style of the SQLite driver."""
    return sql.replace("%s", "?").replace("%%", "%")


@contextmanager
def sqlite_arrow_reader() -> Iterator[ArrowRead | None]:
    """``read(sql, params)`` on a connection of its own to Django's SQLite
    database, in a process of its own (:mod:`guanxi.core.sqlite_reader`: the
    driver's copy of SQLite must never open the file inside this process), or
    None where :func:`arrow_reads_possible` says no (then the caller runs its
    SQL on Django's connection)."""
    if not arrow_reads_possible():
        yield None
        return
    from guanxi.core.sqlite_reader import SqliteReader

    reader = SqliteReader(str(connection.settings_dict["NAME"]))

    def read(sql: str, params: Sequence[Any]) -> Any:
        return reader.read(qmark(sql), list(params))

    try:
        yield read
    finally:
        reader.close()
