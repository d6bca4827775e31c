"""Benchmark: rfm_summary over 10,000,000 transactions from Parquet, DuckDB against pandas.

Generates the transactions once (cached under bench/out/), then runs each path
in a fresh subprocess so its peak resident memory (``ru_maxrss``) is its own:

- ``duckdb``: ``rfm_summary(path, ...)``, which hands the file to
  ``guanxi.analytics.features.rfm_summary_ibis`` (DuckDB reads the Parquet
  file and summarises in-database; pandas only sees the per-customer result);
- ``pandas``: ``pandas.read_parquet`` then the pandas ``rfm_summary``.

Both results are compared (same customers, values equal to 1e-9 relative).
Targets (issue 3): DuckDB path <= 5 s and peak memory <= 2 GB.

    .venv/bin/python bench/bench_summary_duckdb.py [--rows 10000000] [--customers 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

OUT = Path(__file__).resolve().parent / "out"
OPTIONS = {
    "customer_col": "customer_id",
    "datetime_col": "ts",
    "amount_col": "amount",
    "observation_end": "2025-12-31",
    "calibration_end": "2025-06-30",
    "time_unit": "W",
}


def generate(path: Path, rows: int, customers: int, seed: int = 1) -> None:
    """Transactions over two years: customer ids, timestamps to the second, amounts."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tqdm import tqdm

    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "s")
    span = 2 * 365 * 86400
    chunk = 1_000_000
    # Skewed activity: some customers buy far more often than others.
    weights = rng.gamma(0.7, 1.0, customers)
    weights /= weights.sum()
    schema = pa.schema(
        [
            ("customer_id", pa.int64()),
            ("ts", pa.timestamp("us")),
            ("amount", pa.float64()),
        ]
    )
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema, compression="snappy") as writer:
        for offset in tqdm(
            range(0, rows, chunk), desc="generate", unit="chunk", file=sys.stderr
        ):
            n = min(chunk, rows - offset)
            ids = rng.choice(customers, size=n, p=weights).astype(np.int64)
            seconds = rng.integers(0, span, size=n)
            stamps = (start + seconds.astype("timedelta64[s]")).astype("datetime64[us]")
            amounts = np.round(rng.lognormal(3.5, 0.8, size=n), 2)
            writer.write_table(
                pa.table(
                    {"customer_id": ids, "ts": stamps, "amount": amounts}, schema=schema
                )
            )
    tmp.rename(path)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(kind: str, path: Path, result: Path) -> None:
    """One path, timed after imports; writes its summary for the comparison.

    Besides wall time it reports the CPU seconds (user + system, all threads)
    of the measured part: on a shared machine wall time depends on the load,
    CPU time much less.
    """
    imported = time.perf_counter()
    import pandas as pd

    from guanxi.analytics.summary import rfm_summary

    # Import time is not part of the measurement but is reported: the Ibis
    # DuckDB backend and pyarrow.parquet are imported on first use otherwise,
    # inside the timed call (about 1 s when no bytecode cache is written).
    if kind == "duckdb":
        import ibis.backends.duckdb  # noqa: F401

        from guanxi.analytics import features  # noqa: F401
    else:
        import pyarrow.parquet  # noqa: F401
    imported = time.perf_counter() - imported

    began, cpu = time.perf_counter(), _cpu()
    if kind == "duckdb":
        summary = rfm_summary(path, **OPTIONS)
    else:
        summary = rfm_summary(pd.read_parquet(path), **OPTIONS)
    seconds, cpu = time.perf_counter() - began, _cpu() - cpu
    summary.to_parquet(result)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "import_seconds": imported,
                "peak_rss_mb": peak_mb,
                "customers": len(summary),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--run", choices=["duckdb", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run(args.run, args.path, args.result)
        return 0

    OUT.mkdir(exist_ok=True)
    path = OUT / f"transactions_{args.rows}_{args.customers}.parquet"
    if not path.exists():
        began = time.perf_counter()
        generate(path, args.rows, args.customers)
        print(
            f"generated {path.name} in {time.perf_counter() - began:.1f} s",
            file=sys.stderr,
        )
    results: dict[str, list[dict[str, float]]] = {"duckdb": [], "pandas": []}
    for attempt in range(args.repeat):
        for kind in ("duckdb", "pandas"):
            result = OUT / f"summary_{kind}.parquet"
            completed = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--run",
                    kind,
                    "--path",
                    str(path),
                    "--result",
                    str(result),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            figures = json.loads(completed.stdout.strip().splitlines()[-1])
            results[kind].append(figures)
            print(
                f"run {attempt + 1} {kind:6s} {figures['seconds']:7.2f} s  "
                f"cpu {figures.get('cpu_seconds', float('nan')):7.2f} s  "
                f"imports {figures.get('import_seconds', float('nan')):5.2f} s  "
                f"peak {figures['peak_rss_mb']:7.0f} MB  {figures['customers']} customers",
                file=sys.stderr,
            )

    import pandas as pd

    duck = pd.read_parquet(OUT / "summary_duckdb.parquet")
    pand = pd.read_parquet(OUT / "summary_pandas.parquet")
    pd.testing.assert_frame_equal(duck, pand, check_exact=False, rtol=1e-9)
    best = {kind: min(r["seconds"] for r in runs) for kind, runs in results.items()}
    peak = {kind: max(r["peak_rss_mb"] for r in runs) for kind, runs in results.items()}
    cpu = {
        kind: min(r.get("cpu_seconds", float("nan")) for r in runs)
        for kind, runs in results.items()
    }
    print(
        json.dumps(
            {
                "rows": args.rows,
                "customers_in_file": args.customers,
                "customers_summarised": len(duck),
                "best_seconds": best,
                "best_cpu_seconds": cpu,
                "load_average": os.getloadavg(),
                "peak_rss_mb": peak,
                "speedup": best["pandas"] / best["duckdb"],
                "results_equal": True,
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
