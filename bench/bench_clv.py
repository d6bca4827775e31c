"""Benchmark: Guanxi's CLV models against lifetimes 0.11.3 on 1,000,000 simulated customers.

Simulates BG/NBD purchases (continuous time) with Gamma-Gamma spend, fits
BG/NBD + Gamma-Gamma and computes the per-customer predictions with both
libraries on the same data, then fits Pareto/NBD. lifetimes runs in its own
virtual environment (see docs/benchmarks/clv.md) through a subprocess.

    .venv/bin/python bench/bench_clv.py [--customers 1000000] [--pnbd-subset 100000]
        [--reuse-lifetimes]

Every lifetimes run leaves its timings and parameters in out/lifetimes.json
(and its CLV in out/lifetimes_clv.npy); --reuse-lifetimes reads them from
there instead of running lifetimes again, when they were made from the same
data (customers, subset and seed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from guanxi.analytics import BetaGeo, GammaGamma, ParetoNBD
from guanxi.analytics.clv.simulate import (
    simulate_bgnbd,
    simulate_gamma_gamma,
    simulate_paretonbd,
)
from guanxi.analytics.summary import CustomerSummary

HERE = Path(__file__).resolve().parent
LIFETIMES_PYTHON = HERE / ".venv-lifetimes" / "bin" / "python"
BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
GG = {"p": 6.25, "q": 3.74, "v": 15.44}
HORIZON_WEEKS = 39.0
#: lifetimes' month of weeks, 4.345 weeks, in days.
WEEKS_MONTH = 4.345 * 7


def timed(results: dict[str, Any], name: str, action: Callable[[], Any]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    value = action()
    results[name] = {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
    }
    print(f"  guanxi {name}: {results[name]['wall']:.2f} s", file=sys.stderr)
    return value


def _predictions(folder: Path, suffix: str) -> dict[str, np.ndarray]:
    return {
        name: np.load(folder / f"lifetimes_{name}{suffix}.npy")
        for name in ("expected", "alive", "value", "clv")
    }


def _gap(mine: Any, theirs: np.ndarray) -> str:
    relative = np.abs(np.asarray(mine) - theirs) / np.maximum(np.abs(theirs), 1e-12)
    return f"{float(np.max(relative)):.1e}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--pnbd-subset", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument(
        "--reuse-lifetimes",
        action="store_true",
        help="use the results of the last lifetimes run on the same data",
    )
    args = parser.parse_args()
    folder = HERE / "out"
    folder.mkdir(exist_ok=True)

    rng = np.random.default_rng(args.seed)
    n = args.customers
    summary = simulate_bgnbd(n, **BGNBD, T=rng.uniform(1.0, 78.0, n), random_state=rng)
    summary["monetary_value"] = simulate_gamma_gamma(
        summary["frequency"], **GG, random_state=rng
    )
    np.savez(
        folder / "bgnbd.npz",
        **{
            c: summary[c].to_numpy()
            for c in ("frequency", "recency", "T", "monetary_value")
        },
    )
    pnbd = simulate_paretonbd(n, **PNBD, T=rng.uniform(1.0, 78.0, n), random_state=rng)
    subset = pnbd.iloc[: args.pnbd_subset]
    np.savez(
        folder / "pnbd_subset.npz",
        **{c: subset[c].to_numpy() for c in ("frequency", "recency", "T")},
    )

    ours: dict[str, Any] = {}
    f, r, T, m = (summary[c] for c in ("frequency", "recency", "T", "monetary_value"))
    # Simulated in weeks; lifetimes' month of weeks is 4.345 weeks (30.415 days).
    weeks = CustomerSummary(summary, time_unit="W")
    bgf = timed(ours, "bgnbd_fit", lambda: BetaGeo().fit(summary))
    ggf = timed(ours, "gg_fit", lambda: GammaGamma().fit(summary))
    predictions = {
        "expected": timed(
            ours,
            "expected_purchases",
            lambda: bgf.expected_purchases(HORIZON_WEEKS, f, r, T),
        ),
        "alive": timed(
            ours, "probability_alive", lambda: bgf.probability_alive(f, r, T)
        ),
        "value": timed(
            ours, "expected_average_value", lambda: ggf.expected_average_value(f, m)
        ),
    }
    clv = timed(
        ours,
        "clv",
        lambda: bgf.clv(
            ggf, weeks, months=12, discount_rate=0.01, days_per_month=WEEKS_MONTH
        ),
    )
    timed(ours, "standard_errors (extra)", lambda: bgf.standard_errors_)
    pnf = timed(ours, "pnbd_fit", lambda: ParetoNBD().fit(pnbd))
    pnf_subset = timed(ours, "pnbd_fit_subset", lambda: ParetoNBD().fit(subset))

    theirs: dict[str, Any] = {}
    data_key = {"customers": n, "pnbd_subset": len(subset), "seed": args.seed}
    cached = folder / "lifetimes.json"
    if args.reuse_lifetimes and not args.skip_lifetimes:
        if not cached.is_file():
            parser.error(f"no earlier lifetimes results in {cached}")
        theirs = json.loads(cached.read_text())
        if theirs.get("data") != data_key:
            parser.error(f"{cached} was made from other data: {theirs.get('data')}")
        print(f"  lifetimes: results of an earlier run ({cached})", file=sys.stderr)
    elif not args.skip_lifetimes:
        (folder / "guanxi_params.json").write_text(
            json.dumps({"bgnbd": bgf.params_, "gg": ggf.params_})
        )
        print("  running lifetimes ...", file=sys.stderr)
        done = subprocess.run(
            [
                str(LIFETIMES_PYTHON),
                str(HERE / "_lifetimes_clv.py"),
                str(folder),
                str(HORIZON_WEEKS),
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        theirs = json.loads(done.stdout)
        theirs["data"] = data_key
        cached.write_text(json.dumps(theirs))

    steps = [
        "bgnbd_fit",
        "gg_fit",
        "expected_purchases",
        "probability_alive",
        "expected_average_value",
        "clv",
    ]
    print(
        f"\nmachine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"load average at the end: {os.getloadavg()}")
    print(f"customers: {n:,}; Pareto/NBD lifetimes subset: {len(subset):,}\n")
    print(
        "| step | guanxi wall s | guanxi CPU s | lifetimes wall s | lifetimes CPU s | speed-up (wall) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    total = {"ours_wall": 0.0, "ours_cpu": 0.0, "theirs_wall": 0.0, "theirs_cpu": 0.0}
    for step in [*steps, "standard_errors (extra)", "pnbd_fit", "pnbd_fit_subset"]:
        mine = ours[step]
        other = theirs.get(step)
        if step in steps:
            total["ours_wall"] += mine["wall"]
            total["ours_cpu"] += mine["cpu"]
            if other:
                total["theirs_wall"] += other["wall"]
                total["theirs_cpu"] += other["cpu"]
        cells = (
            f"{other['wall']:.2f} | {other['cpu']:.2f} | {other['wall'] / mine['wall']:.1f}×"
            if other
            else "– | – | –"
        )
        print(f"| {step} | {mine['wall']:.2f} | {mine['cpu']:.2f} | {cells} |")
    if theirs:
        print(
            f"| **BG/NBD + Gamma-Gamma fit and predictions** | {total['ours_wall']:.2f} | "
            f"{total['ours_cpu']:.2f} | {total['theirs_wall']:.2f} | {total['theirs_cpu']:.2f} | "
            f"**{total['theirs_wall'] / total['ours_wall']:.1f}×** (CPU "
            f"{total['theirs_cpu'] / total['ours_cpu']:.1f}×) |"
        )
        print("\nparameters (relative difference guanxi vs lifetimes):")
        for label, mine_params, their_params in [
            ("BG/NBD", bgf.params_, theirs["bgnbd_params"]),
            ("Gamma-Gamma", ggf.params_, theirs["gg_params"]),
            (
                f"Pareto/NBD ({len(subset):,})",
                pnf_subset.params_,
                theirs["pnbd_params"],
            ),
            (
                f"Pareto/NBD ({len(subset):,}), lifetimes with tol=1e-10",
                pnf_subset.params_,
                theirs["pnbd_params_tight"],
            ),
        ]:
            cells = ", ".join(
                f"{k} {mine_params[k]:.6g} vs {their_params[k]:.6g} "
                f"({abs(mine_params[k] - their_params[k]) / their_params[k]:.1e})"
                for k in mine_params
            )
            print(f"- {label}: {cells}")
        print("\npredictions (largest relative difference per customer):")
        at_theirs = _predictions(folder, "")
        for name, mine_values in [*predictions.items(), ("clv", clv)]:
            print(
                f"- {name}, each with its own fit: {_gap(mine_values, at_theirs[name])}"
            )
        given = theirs["at_guanxi_params"]
        same_bgf, same_ggf = BetaGeo(), GammaGamma()
        same_bgf.params_, same_ggf.params_ = given["bgnbd"], given["gg"]
        at_ours = _predictions(folder, "_at_guanxi")
        for name, mine_values in [
            ("expected", same_bgf.expected_purchases(HORIZON_WEEKS, f, r, T)),
            ("alive", same_bgf.probability_alive(f, r, T)),
            ("value", same_ggf.expected_average_value(f, m)),
            (
                "clv",
                same_bgf.clv(same_ggf, weeks, months=12, days_per_month=WEEKS_MONTH),
            ),
        ]:
            print(
                f"- {name}, both at Guanxi's parameters: "
                f"{_gap(mine_values, at_ours[name])}"
            )
    print(
        f"- Pareto/NBD at {n:,}: {pnf.params_}, log-likelihood {pnf.log_likelihood_:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
