"""Benchmark: ``guanxi score`` in the database against its floor, DuckDB over Parquet.

On a data folder filled by ``guanxi demo`` (1,000,000 customers, ~10 M orders
for the issue's target), each in a fresh process so its peak resident memory
(``ru_maxrss``) is its own:

- ``guanxi``: ``guanxi score --as-of DATE --json``, the whole run as people
  start it: purchase days rolled up and features computed inside the
  database (SQLite, or PostgreSQL with ``--database-url``), the models, the
  labels, one snapshot per customer written, and the dashboard's figures;
  the follow-ups (automatic tags → segment counts → warnings, and the
  co-purchase pairs) are queued for the task worker, as for everyone;
- ``worker``: then, in a fresh process, the run's follow-up chain as the
  task worker runs it (``insights.followups.followups_run``: tags, segment
  counts, warnings; not the pairs, which ``guanxi pairs compute`` measures),
  so that the work the command leaves to the worker is measured too;
- ``floor``: the same features computed by DuckDB from Parquet copies of the
  orders, customers and interactions (written first, untimed), and the same
  model fits and labels (``guanxi.insights.runs.compute_scores``), nothing
  written.

The ratio guanxi / floor says what computing in the database and writing the
snapshots cost over the fastest way to compute the same scores.

    .venv/bin/python bench/bench_score.py --data-dir DIR [--as-of 2026-12-04]
        [--database-url postgres://…] [--skip-floor] [--skip-worker]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "score"


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    env["GUANXI_DATA_DIR"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Wall seconds, peak RSS (MB) and CPU seconds of the child, its stdout."""
    started = time.perf_counter()
    wrapper = [
        sys.executable,
        "-c",
        "import resource, subprocess, sys; "
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "sys.stderr.write(r.stderr); "
        "print(r.stdout, end=''); "
        "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print('\\nPEAK', u.ru_maxrss, u.ru_utime + u.ru_stime); "
        "sys.exit(r.returncode)",
        *command,
    ]
    done = subprocess.run(wrapper, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(command)}")
    out, _sep, tail = done.stdout.rpartition("\nPEAK ")
    peak, cpu = tail.split()
    return wall, int(peak) / 1024, float(cpu), out


def export_parquet(data_dir: Path) -> Path:
    """The orders, customers and interactions of the folder's SQLite database
    as Parquet (cached beside the benchmark; untimed)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    OUT.mkdir(parents=True, exist_ok=True)
    stamp = OUT / "source.txt"
    database = data_dir / "guanxi.sqlite3"
    key = f"{database}:{database.stat().st_mtime_ns}"
    if stamp.exists() and stamp.read_text() == key:
        return OUT
    con = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    tables = {
        "commerce_order": (
            "SELECT customer_id, ordered_at, CAST(amount AS REAL), status "
            "FROM commerce_order",
            pa.schema(
                [
                    ("customer_id", pa.int64()),
                    ("ordered_at", pa.string()),
                    ("amount", pa.float64()),
                    ("status", pa.string()),
                ]
            ),
        ),
        "customers_interaction": (
            "SELECT customer_id, kind, occurred_at FROM customers_interaction",
            pa.schema(
                [
                    ("customer_id", pa.int64()),
                    ("kind", pa.string()),
                    ("occurred_at", pa.string()),
                ]
            ),
        ),
        "customers_customer": (
            "SELECT id FROM customers_customer",
            pa.schema([("id", pa.int64())]),
        ),
    }
    for name, (query, schema) in tables.items():
        cursor = con.execute(query)
        with pq.ParquetWriter(OUT / f"{name}.parquet", schema) as writer:
            while rows := cursor.fetchmany(500_000):
                columns = list(zip(*rows, strict=True))
                writer.write_table(
                    pa.table(
                        [
                            pa.array(c, type=f.type)
                            for c, f in zip(columns, schema, strict=True)
                        ],
                        schema=schema,
                    )
                )
    con.close()
    stamp.write_text(key)
    return OUT


def _phases(data_dir: Path, as_of: str) -> Any:
    """The run's steps with their wall and CPU seconds (its summary)."""
    database = data_dir / "guanxi.sqlite3"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as con:
        row = con.execute(
            "SELECT summary FROM insights_scorerun WHERE as_of = ?", [as_of]
        ).fetchone()
    return json.loads(row[0]).get("phases") if row else None


def floor(folder: Path, as_of: dt.date) -> dict[str, Any]:
    """The same features (DuckDB over Parquet) and the same models and labels."""
    started = time.perf_counter()
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    django.setup()
    import ibis

    from guanxi.analytics.features import connect_duckdb
    from guanxi.commerce.selectors import PURCHASE_STATUSES
    from guanxi.insights import features as db
    from guanxi.insights.models import InsightSettings
    from guanxi.insights.runs import compute_scores

    con = connect_duckdb()
    for name in ("commerce_order", "customers_interaction", "customers_customer"):
        con.raw_sql(
            f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{folder / name}.parquet')"
        )
    con.raw_sql(
        "CREATE OR REPLACE VIEW customers_interaction AS SELECT customer_id, kind, "
        "CAST(occurred_at AS TIMESTAMP) AS occurred_at FROM "
        f"read_parquet('{folder / 'customers_interaction'}.parquet')"
    )
    orders = con.sql(
        "SELECT customer_id, CAST(ordered_at AS TIMESTAMP) AS ordered_at, amount, status "
        f"FROM read_parquet('{folder / 'commerce_order'}.parquet')"
    )
    offset = db.utc_offset_seconds(as_of)
    orders = orders.filter(orders.status.isin(list(PURCHASE_STATUSES)))
    rows = orders.select(
        customer_id=orders.customer_id,
        day=db.local_day(orders.ordered_at, offset),
        amount=orders.amount.cast("float64"),
    )
    rows = rows.filter(rows.day <= db.day_of(as_of))
    days_expr = rows.group_by(["customer_id", "day"]).aggregate(
        orders=rows.count().cast("int64"), amount=rows.amount.sum().cast("float64")
    )
    days = con.create_table("gx_purchase_days", days_expr, temp=True)
    scored, _info = compute_scores(
        con, days, as_of=as_of, settings=InsightSettings(pk=1)
    )
    frame = scored.frame
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "customers": len(frame),
        "quadrants": frame["quadrant"].value_counts().sort_index().to_dict(),
        "stages": frame["stage"].value_counts().sort_index().to_dict(),
        "ibis": ibis.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument(
        "--as-of", default=(dt.date.today() - dt.timedelta(days=1)).isoformat()
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--skip-worker", action="store_true")
    parser.add_argument("--floor-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    if args.floor_only is not None:
        print(json.dumps(floor(args.floor_only, as_of)))
        return
    load = os.getloadavg()
    result: dict[str, Any] = {
        "as_of": args.as_of,
        "database": "postgresql" if args.database_url else "sqlite",
        "load_average_before": [round(x, 2) for x in load],
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    env = _env(args.data_dir, args.database_url)
    guanxi = [sys.executable, "-m", "guanxi.cli", "score", "--as-of", args.as_of]
    wall, peak, cpu, out = _timed([*guanxi, "--json", "--no-progress"], env)
    printed = json.loads(out)
    result["guanxi"] = {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_mb": round(peak),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        **printed,
    }
    if not args.database_url:
        result["guanxi"]["phases"] = _phases(args.data_dir, args.as_of)
    print(
        f"guanxi score: {wall:.1f} s, {cpu:.1f} CPU s, peak {peak:,.0f} MB",
        file=sys.stderr,
    )
    if not args.skip_worker:
        chain = (
            "import django, os, sys; "
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'guanxi.config.settings'); "
            "django.setup(); "
            "from guanxi.insights.followups import followups_run; "
            "from guanxi.insights.models import ScoreRun; "
            "run = ScoreRun.objects.get(as_of=sys.argv[1]); "
            "print(followups_run(run_id=run.pk))"
        )
        wall_w, peak_w, cpu_w, out_w = _timed(
            [sys.executable, "-c", chain, args.as_of], env
        )
        result["worker"] = {
            "wall_s": round(wall_w, 2),
            "cpu_s": round(cpu_w, 2),
            "peak_mb": round(peak_w),
            "ran": out_w.strip() == "True",
        }
        if not args.database_url:
            result["worker"]["phases"] = [
                p for p in _phases(args.data_dir, args.as_of) or [] if p.get("followup")
            ]
        print(
            f"follow-ups (worker): {wall_w:.1f} s, {cpu_w:.1f} CPU s, "
            f"peak {peak_w:,.0f} MB",
            file=sys.stderr,
        )
    if not args.skip_floor:
        folder = export_parquet(args.data_dir)
        floor_cmd = [
            sys.executable,
            __file__,
            "--data-dir",
            str(args.data_dir),
            "--as-of",
            args.as_of,
            "--floor-only",
            str(folder),
        ]
        wall_f, peak_f, cpu_f, out_f = _timed(floor_cmd, _env(args.data_dir, None))
        result["floor"] = {
            "wall_s": round(wall_f, 2),
            "cpu_s": round(cpu_f, 2),
            "peak_mb": round(peak_f),
            **json.loads(out_f),
        }
        result["ratio"] = round(wall / wall_f, 2)
        result["cpu_ratio"] = round(cpu / cpu_f, 2)
        same = result["floor"]["quadrants"] == {
            k: v for k, v in printed["quadrants"].items() if v
        } and result["floor"]["stages"] == {
            k: v for k, v in printed["stages"].items() if v
        }
        result["same_counts"] = same
        print(
            f"floor (DuckDB over Parquet): {wall_f:.1f} s, peak {peak_f:,.0f} MB",
            file=sys.stderr,
        )
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
