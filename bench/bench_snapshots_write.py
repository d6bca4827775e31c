"""Benchmark: writing a scoring run's snapshots against a bare ``executemany``.

On a copy of a demo data folder (never the original), in one process:

- ``capture``: run ``guanxi score`` once with the writer wrapped, and keep the
  scored frame it was given (a pickle), so later runs write the real rows
  without scoring again;
- ``run``: alternately, for ``--repeat`` rounds, write that frame as the
  snapshots of a date nobody scored (``insights.snapshots_write``, as the run
  calls it: a chunk per transaction, ``written_through`` moved with it), and
  the floor: the same rows as ready-made tuples, one ``executemany`` of a
  one-row ``INSERT`` per chunk into the same table and indexes, a commit per
  chunk. Each is followed by deleting its rows (not timed). CPU seconds of the
  process (every thread) and of the calling thread, and wall seconds.

    .venv/bin/python bench/bench_snapshots_write.py --data-dir DIR capture FRAME
    .venv/bin/python bench/bench_snapshots_write.py --data-dir DIR run FRAME \
        [--repeat 3] [--profile]

Run it with another worktree's ``.venv/bin/python`` to time that tree's
writer against the same frame.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pickle
import pstats
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

#: The date the benchmark writes (before any the demo is scored at).
BENCH_AS_OF = dt.date(2026, 11, 20)


def _setup(data_dir: Path) -> None:
    os.environ["GUANXI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()


def capture(out: Path, as_of: dt.date) -> None:
    from guanxi.insights import runs
    from guanxi.insights.services import score_run

    original = runs.snapshots_write

    def keep(run: Any, frame: Any, step: Any) -> None:
        with out.open("wb") as handle:
            pickle.dump(frame, handle, protocol=pickle.HIGHEST_PROTOCOL)
        original(run, frame, step)

    runs.snapshots_write = keep  # type: ignore[assignment]
    score_run(as_of=as_of, queue_followups=True)
    print(f"frame kept in {out}")


def _clock() -> tuple[float, float, float]:
    return time.perf_counter(), time.process_time(), time.thread_time()


def _since(start: tuple[float, float, float]) -> dict[str, float]:
    wall, cpu, thread = _clock()
    return {
        "wall": round(wall - start[0], 2),
        "cpu": round(cpu - start[1], 2),
        "thread": round(thread - start[2], 2),
    }


def _clear() -> None:
    from django.db import connection, transaction

    from guanxi.insights.models import ScoreRun

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM insights_scoresnapshot WHERE as_of = %s",
            [BENCH_AS_OF.isoformat()],
        )
        ScoreRun.objects.filter(as_of=BENCH_AS_OF).delete()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _write(frame: Any, profile: bool) -> dict[str, float]:
    from guanxi.insights.models import ScoreRun
    from guanxi.insights.snapshots_write import snapshots_write

    run = ScoreRun.objects.create(as_of=BENCH_AS_OF)
    profiler = cProfile.Profile() if profile else None
    start = _clock()
    if profiler:
        profiler.enable()
    snapshots_write(run, frame, lambda share: None)
    if profiler:
        profiler.disable()
    took = _since(start)
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(14)
    return took


def _tuples(frame: Any) -> list[tuple[Any, ...]]:
    """The rows as tuples, one per customer (built by whichever writer this
    tree has: the tuple-per-row one, or the column-wise one)."""
    from guanxi.insights import snapshots_write as module

    build = getattr(module, "_rows", None)
    if build is not None:
        return list(build(frame, BENCH_AS_OF))
    block = module._block(frame, BENCH_AS_OF)  # the column-wise writer's rows
    return [tuple(row) for row in block.tolist()]


def _floor(frame: Any, chunk: int) -> dict[str, float]:
    from django.db import connection

    from guanxi.insights.snapshots_write import SNAPSHOT_COLUMNS

    rows = _tuples(frame)
    names = [c + "_id" if c == "customer" else c for c in SNAPSHOT_COLUMNS]
    sql = "INSERT INTO insights_scoresnapshot ({}) VALUES ({})".format(
        ", ".join(f'"{n}"' for n in names), ", ".join("?" * len(names))
    )
    connection.ensure_connection()
    raw = connection.connection
    start = _clock()
    for offset in range(0, len(rows), chunk):
        raw.execute("BEGIN")
        raw.executemany(sql, rows[offset : offset + chunk])
        raw.execute("COMMIT")
    return _since(start)


def run(frame_path: Path, repeat: int, profile: bool) -> None:
    from django.conf import settings

    with frame_path.open("rb") as handle:
        frame = pickle.load(handle)
    chunk = int(settings.GUANXI_SCORE_CHUNK)
    print(f"{len(frame):,} rows, chunk {chunk:,}, load {os.getloadavg()}")
    _clear()
    for round_ in range(repeat):
        for name in ("write", "floor"):
            took = _write(frame, profile) if name == "write" else _floor(frame, chunk)
            print(f"round {round_ + 1} {name}: {took}  load {os.getloadavg()[0]:.1f}")
            sys.stdout.flush()
            _clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    cap = sub.add_parser("capture")
    cap.add_argument("frame", type=Path)
    cap.add_argument("--as-of", type=dt.date.fromisoformat, default="2026-12-01")
    go = sub.add_parser("run")
    go.add_argument("frame", type=Path)
    go.add_argument("--repeat", type=int, default=3)
    go.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    _setup(args.data_dir)
    if args.command == "capture":
        capture(args.frame, args.as_of)
    else:
        run(args.frame, args.repeat, args.profile)


if __name__ == "__main__":
    main()
