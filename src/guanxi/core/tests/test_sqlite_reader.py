"""Arrow reads of the embedded SQLite file never cost Django's writes.

The ADBC driver links its own copy of SQLite. Opened inside this process, its
connection's close released Django's locks and deleted the write-ahead log
Django was writing to: what Django wrote afterwards was gone (a scoring run's
snapshots, with the run saying they were written). These tests write through
Django after a read and look for the rows from a connection of another
process, the way the web server and the worker see them.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from django.db import connection

from guanxi.core.arrow import sqlite_arrow_reader
from guanxi.core.sqlite_reader import SqliteReader, SqliteReaderError

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the embedded SQLite file only",
    ),
]

TABLE = "gx_reader_probe"


def _rows_seen_by_another_process() -> int:
    """How many probe rows a fresh process reads from the database file."""
    code = (
        "import sqlite3, sys; "
        "c = sqlite3.connect(sys.argv[1]); "
        f"print(c.execute('SELECT COUNT(*) FROM {TABLE}').fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(connection.settings_dict["NAME"])],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


@pytest.fixture
def probe() -> object:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (n INTEGER NOT NULL)")
        cursor.execute(f"INSERT INTO {TABLE} (n) VALUES (1)")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


@pytest.mark.usefixtures("probe")
def test_django_writes_after_arrow_reads_are_kept() -> None:
    for n in range(2, 5):
        with sqlite_arrow_reader() as read:
            assert read is not None
            table = read(f"SELECT COUNT(*) AS c FROM {TABLE}", [])
            # The reader sees everything Django committed before it.
            assert table.column("c").to_pylist() == [n - 1]
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE} (n) VALUES (%s)", [n])
    assert _rows_seen_by_another_process() == 4
    fresh = sqlite3.connect(str(connection.settings_dict["NAME"]))
    try:
        assert fresh.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert fresh.execute(f"SELECT SUM(n) FROM {TABLE}").fetchone() == (10,)
    finally:
        fresh.close()


@pytest.mark.usefixtures("probe")
def test_statements_and_errors_of_the_reader_process() -> None:
    reader = SqliteReader(str(connection.settings_dict["NAME"]))
    try:
        reader.execute(
            f"CREATE TEMP TABLE gx_reader_temp AS SELECT n * 10 AS m FROM {TABLE}"
        )
        assert reader.read("SELECT m FROM gx_reader_temp").column("m").to_pylist() == [
            10
        ]
        assert reader.read("SELECT ? + 1 AS x", [41]).column("x").to_pylist() == [42]
        with pytest.raises(SqliteReaderError, match="no such table: gx_nowhere"):
            reader.read("SELECT * FROM gx_nowhere")
        # A refused statement leaves the connection usable.
        assert reader.read("SELECT 1 AS one").column("one").to_pylist() == [1]
    finally:
        reader.close()
    assert reader._process.returncode == 0
    with pytest.raises(SqliteReaderError, match="the database reader process ended"):
        reader.read("SELECT 1")
