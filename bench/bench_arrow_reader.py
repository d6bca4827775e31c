"""Benchmark: Arrow reads of the SQLite file through the reader process.

Reads the same rows of the orders three ways, alternating, in one process
that has no other connection to the file (so the in-process driver is safe
here, which it is not inside Guanxi: docs/decisions/0005):

- ``process``: :class:`guanxi.core.sqlite_reader.SqliteReader` (what Guanxi
  uses: the ADBC driver in a child process, Arrow IPC over a pipe);
- ``inprocess``: the ADBC driver in this process (what Guanxi used before);
- ``sqlite3``: Python's ``sqlite3``, one tuple per row, then numpy columns.

    .venv/bin/python bench/bench_arrow_reader.py --db DATA_DIR/guanxi.sqlite3
        [--rows 3000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from guanxi.core.sqlite_reader import SqliteReader

SQL = (
    "SELECT customer_id, CAST(julianday(ordered_at) AS INTEGER) AS day, "
    "CAST(amount AS REAL) AS amount FROM commerce_order ORDER BY id LIMIT ?"
)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def way_process(db: str, rows: int) -> int:
    reader = SqliteReader(db)
    try:
        table = reader.read(SQL, [rows])
        frame = table.to_pandas()
    finally:
        reader.close()
    return len(frame)


def way_inprocess(db: str, rows: int) -> int:
    import adbc_driver_sqlite.dbapi as adbc

    connection = adbc.connect(db)
    cursor = connection.cursor()
    try:
        cursor.execute(SQL, [rows])
        frame = cursor.fetch_arrow_table().to_pandas()
    finally:
        cursor.close()
        connection.close()
    return len(frame)


def way_sqlite3(db: str, rows: int) -> int:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        found = connection.execute(SQL, [rows]).fetchall()
        columns: list[Any] = [np.array(c) for c in zip(*found, strict=True)]
    finally:
        connection.close()
    return len(columns[0]) if columns else 0


WAYS = {"process": way_process, "inprocess": way_inprocess, "sqlite3": way_sqlite3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}; {args.rows:,} rows"
    )
    for round_ in range(1, args.rounds + 1):
        for name, way in WAYS.items():
            wall, own, children = time.perf_counter(), _own_cpu(), _children_cpu()
            n = way(args.db, args.rows)
            print(
                f"round {round_} {name:10s} rows {n:,}  wall {time.perf_counter() - wall:6.2f} s"
                f"  CPU here {_own_cpu() - own:6.2f} s  CPU of the child "
                f"{_children_cpu() - children:6.2f} s"
            )
    print(f"load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
