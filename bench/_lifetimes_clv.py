"""The lifetimes 0.11.3 side of bench_clv.py; runs in bench/.venv-lifetimes.

Reads the simulated summaries bench_clv.py wrote, times the same steps with
lifetimes and prints one JSON object (timings, parameters) on stdout.
"""

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

warnings.simplefilter("ignore")


def timed(results, name, action):
    wall, cpu = time.perf_counter(), time.process_time()
    value = action()
    results[name] = {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
    }
    return value


def main(folder, horizon_weeks):
    out = {}
    data = np.load(f"{folder}/bgnbd.npz")
    f, r, T, m = (
        pd.Series(data[c]) for c in ("frequency", "recency", "T", "monetary_value")
    )
    bgf = BetaGeoFitter(penalizer_coef=0.0)
    timed(out, "bgnbd_fit", lambda: bgf.fit(f, r, T))
    repeat = f > 0
    ggf = GammaGammaFitter(penalizer_coef=0.0)
    timed(out, "gg_fit", lambda: ggf.fit(f[repeat], m[repeat]))
    timed(
        out,
        "expected_purchases",
        lambda: bgf.conditional_expected_number_of_purchases_up_to_time(
            horizon_weeks, f, r, T
        ),
    )
    timed(out, "probability_alive", lambda: bgf.conditional_probability_alive(f, r, T))
    timed(
        out,
        "expected_average_value",
        lambda: ggf.conditional_expected_average_profit(f, m),
    )
    clv = timed(
        out,
        "clv",
        lambda: ggf.customer_lifetime_value(
            bgf, f, r, T, m, time=12, discount_rate=0.01, freq="W"
        ),
    )
    np.save(f"{folder}/lifetimes_clv.npy", np.asarray(clv, dtype=float))
    out["bgnbd_params"] = {k: float(v) for k, v in bgf.params_.items()}
    out["gg_params"] = {k: float(v) for k, v in ggf.params_.items()}

    pnbd = np.load(f"{folder}/pnbd_subset.npz")
    pnf = ParetoNBDFitter(penalizer_coef=0.0)
    timed(
        out,
        "pnbd_fit_subset",
        lambda: pnf.fit(pnbd["frequency"], pnbd["recency"], pnbd["T"]),
    )
    out["pnbd_params"] = {k: float(v) for k, v in pnf.params_.items()}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
