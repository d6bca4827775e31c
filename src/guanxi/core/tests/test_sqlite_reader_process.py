"""The reader process itself: its parameters and what it imports.

No Django database: a SQLite file of the test's own, read the way the scoring
run reads the embedded database.
"""

from __future__ import annotations

import pickle
import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from guanxi.core.sqlite_reader import SqliteReader, SqliteReaderError


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = tmp_path / "probe.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (i INTEGER, f REAL, s TEXT, b BLOB)")
    con.execute(
        "INSERT INTO t VALUES (1, 0.5, 'a''b', x'00ff'), (2, 1.5, '关系', NULL)"
    )
    con.commit()
    con.close()
    return str(path)


def test_parameters_of_every_kind_are_bound(database: str) -> None:
    reader = SqliteReader(database)
    try:
        rows = reader.read(
            "SELECT i, s FROM t WHERE i >= ? AND f < ? AND s <> ? "
            "AND b = ? AND ? IS NULL AND ?",
            [1, 1.0, "x", b"\x00\xff", None, True],
        ).to_pydict()
        assert rows == {"i": [1], "s": ["a'b"]}
        chinese = reader.read("SELECT i FROM t WHERE s = ?", ["关系"]).to_pydict()
        assert chinese == {"i": [2]}
        reader.execute("CREATE TEMP TABLE u AS SELECT i FROM t WHERE i > ?", [1])
        assert reader.read("SELECT i FROM temp.u").to_pydict() == {"i": [2]}
        with pytest.raises(
            SqliteReaderError, match="cannot bind a parameter of type list"
        ):
            reader.read("SELECT ?", [[1]])
        # The process answers on after a refusal.
        assert reader.read("SELECT 1 AS one").to_pydict() == {"one": [1]}
    finally:
        reader.close()


def test_the_reader_process_does_not_import_pandas(
    database: str, tmp_path: Path
) -> None:
    """pandas costs the process a second of CPU at every start, for nothing."""
    out = tmp_path / "out.arrow"
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write(repr(sorted("
        "m for m in sys.modules if m.split('.')[0] == 'pandas'))))\n"
        "from guanxi.core.sqlite_reader import _serve\n"
        "_serve(sys.argv[1])\n"
    )
    body = pickle.dumps(("read", "SELECT i FROM t WHERE s = ?", ["关系"], str(out)))
    done = subprocess.run(
        [sys.executable, "-c", code, database],
        input=struct.pack("<Q", len(body)) + body,
        capture_output=True,
        check=True,
    )
    assert done.stdout[:1] == b"O"
    assert out.stat().st_size > 0
    assert done.stderr.decode().strip() == "[]"
