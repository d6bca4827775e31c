"""Benchmark: evaluating the warning signals after a scoring run.

On a data folder with a finished scoring run (``guanxi demo --customers N``
then ``guanxi score``), removes the warnings and tasks of the benchmark's
as-of date and times :func:`guanxi.care.services.warnings_evaluate` twice: the
first evaluation (every warning and task new) and a second for the same date
(nothing new). Reports wall and CPU time (on PostgreSQL also its server
process's CPU), the counts, the peak memory and the load average;
``--profile`` adds a profile of the first evaluation. ``--quadrants``
gives two quadrants thresholds of their own first (the per-quadrant join).
Results: docs/benchmarks/care.md.

Usage::

    GUANXI_DATA_DIR=/tmp/care-bench guanxi demo --customers 100000
    GUANXI_DATA_DIR=/tmp/care-bench guanxi score
    python bench/bench_warnings.py --data-dir /tmp/care-bench
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument(
        "--quadrants",
        action="store_true",
        help="give star and basic customers their own thresholds first "
        "(no purchase 14 / 60 days, star: quiet 3 days, week-on-week 0.8)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the first evaluation (cProfile, top 25 by own time)",
    )
    args = parser.parse_args()
    os.environ["GUANXI_DATA_DIR"] = str(args.data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from guanxi.care.models import (
        CareTask,
        ChurnWarning,
        QuadrantThresholds,
        WarningRun,
    )
    from guanxi.care.services import warnings_evaluate
    from guanxi.insights.selectors import latest_as_of, snapshot_rows

    as_of = latest_as_of()
    if as_of is None:
        raise SystemExit("no finished scoring run: run guanxi score first")
    # Straight DELETEs: the ORM's delete() would read every row into Python
    # first, and the process's peak memory would be the delete's.
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (CareTask, ChurnWarning, WarningRun, QuadrantThresholds):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")
    if args.quadrants:
        QuadrantThresholds.objects.create(
            quadrant="star", no_purchase_days=14, quiet_days=3, drop_ratio=0.8
        )
        QuadrantThresholds.objects.create(quadrant="basic", no_purchase_days=60)
    customers = snapshot_rows(as_of=as_of).count()
    print(
        f"as of {as_of}: {customers:,} snapshots; load average "
        f"{os.getloadavg()[0]:.1f}; peak before {_peak_mb():,} MB"
    )
    for label in ("first", "again"):
        profiler = cProfile.Profile() if args.profile and label == "first" else None
        wall, cpu = time.perf_counter(), time.process_time()
        server = _server_cpu(connection)
        if profiler is not None:
            profiler.enable()
        run = warnings_evaluate(as_of=as_of)
        if profiler is not None:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        server = _server_cpu(connection) - server
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        print(
            f"{label:6} opened {run.opened:>8,} updated {run.updated:>6,} "
            f"closed {run.closed:>6,}  wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
            f"load {os.getloadavg()[0]:.1f}  "
            f"peak {_peak_mb():,} MB"
            + (f"  server cpu {server:6.2f} s" if server else ""),
            flush=True,
        )


def _server_cpu(connection: Any) -> float:
    """PostgreSQL: the CPU seconds of this connection's server process (on
    this machine); SQLite: 0 (it runs in this process)."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


if __name__ == "__main__":
    main()
