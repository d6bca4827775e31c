"""Benchmark: RFM scoring, cohorts and ``guanxi analyze`` on simulated transactions.

Simulates ``--customers`` customers (first purchase spread over a year, then
purchases every few weeks until they quit; about 10 transactions each), then
times, in one process:

* ``rfm_table`` + ``RFMScorer.fit_transform`` (quantile scores and segments);
* ``retention_table``, ``repurchase_rate`` and ``cohort_revenue``;
* ``guanxi analyze rfm`` and ``guanxi analyze cohorts`` end to end on a
  Parquet file with ``--out`` (read, validate, compute, write).

Usage: ``python bench/bench_rfm_cohorts.py [--customers N] [--seed S]``.
Results go to stdout as a Markdown table (copy into docs/benchmarks/rfm-cohorts.md).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np
import pandas as pd

from guanxi.analytics.cli import main as analyze
from guanxi.analytics.cohorts import cohort_revenue, repurchase_rate, retention_table
from guanxi.analytics.rfm import RFMScorer, rfm_table


def simulate(customers: int, seed: int) -> pd.DataFrame:
    """Transactions: customer id, timestamp, amount (vectorised, about 10 a customer)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01T00:00:00")
    first = rng.integers(0, 365 * 86_400, customers)
    counts = 1 + rng.poisson(9, customers)
    owner = np.repeat(np.arange(customers), counts)
    gaps = rng.exponential(25 * 86_400, owner.size).astype(np.int64)
    # The first gap of each customer is their first purchase time.
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    gaps[starts] = first
    offsets = np.cumsum(gaps)
    offsets -= np.repeat(offsets[starts] - first, counts)
    return pd.DataFrame(
        {
            "customer": pd.Series(owner).map("C{:08d}".format),
            "when": start + offsets.astype("timedelta64[s]"),
            "amount": np.round(rng.gamma(2.0, 60.0, owner.size), 2),
        }
    )


def timed(label: str, work: Callable[[], Any], rows: list[tuple[str, float]]) -> Any:
    began = time.perf_counter()
    result = work()
    rows.append((label, time.perf_counter() - began))
    return result


def run_cli(argv: list[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        code = analyze(argv)
    if code != 0:
        raise SystemExit(f"guanxi analyze {' '.join(argv)} failed with {code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    frame = simulate(args.customers, args.seed)
    end = frame["when"].max().normalize()
    columns = {"customer_col": "customer", "datetime_col": "when"}
    rows: list[tuple[str, float]] = []
    table = timed(
        "rfm_table",
        lambda: rfm_table(frame, **columns, amount_col="amount", observation_end=end),
        rows,
    )
    timed("RFMScorer.fit_transform", lambda: RFMScorer().fit_transform(table), rows)
    timed("retention_table", lambda: retention_table(frame, **columns), rows)
    timed("repurchase_rate", lambda: repurchase_rate(frame, **columns), rows)
    timed(
        "cohort_revenue",
        lambda: cohort_revenue(frame, **columns, amount_col="amount"),
        rows,
    )
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "orders.parquet"
        frame.to_parquet(source)
        common = [str(source), "--customer-col", "customer", "--date-col", "when"]
        common += ["--amount-col", "amount"]
        timed(
            "guanxi analyze rfm (Parquet in, CSV out)",
            lambda: run_cli(["rfm", *common, "--out", f"{folder}/rfm.csv"]),
            rows,
        )
        timed(
            "guanxi analyze cohorts (Parquet in, Parquet out)",
            lambda: run_cli(["cohorts", *common, "--out", f"{folder}/c.parquet"]),
            rows,
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.customers:,} customers, {len(frame):,} transactions; "
        f"Python {platform.python_version()}, {os.cpu_count()} cores; "
        f"peak RSS {peak:,.0f} MB\n"
    )
    print("| step | seconds |\n|---|---:|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
