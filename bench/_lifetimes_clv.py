"""The lifetimes 0.11.3 side of bench_clv.py; runs in bench/.venv-lifetimes.

Reads the simulated summaries bench_clv.py wrote, times the same steps with
lifetimes and prints one JSON object (timings, parameters) on stdout. Untimed
besides: the predictions at Guanxi's parameters (out/guanxi_params.json), to
compare the formulas apart from the fits, and a Pareto/NBD fit with a tight
tolerance (lifetimes' default, 1e-4, stops short where the likelihood is
flat).
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
    expected = timed(
        out,
        "expected_purchases",
        lambda: bgf.conditional_expected_number_of_purchases_up_to_time(
            horizon_weeks, f, r, T
        ),
    )
    alive = timed(
        out, "probability_alive", lambda: bgf.conditional_probability_alive(f, r, T)
    )
    value = timed(
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
    save(folder, "", expected=expected, alive=alive, value=value, clv=clv)
    out["bgnbd_params"] = {k: float(v) for k, v in bgf.params_.items()}
    out["gg_params"] = {k: float(v) for k, v in ggf.params_.items()}

    try:
        with open(f"{folder}/guanxi_params.json") as given:
            ours = json.load(given)
    except FileNotFoundError:
        ours = None
    if ours is not None:
        bgf.params_ = pd.Series(ours["bgnbd"])[bgf.params_.index]
        ggf.params_ = pd.Series(ours["gg"])[ggf.params_.index]
        save(
            folder,
            "_at_guanxi",
            expected=bgf.conditional_expected_number_of_purchases_up_to_time(
                horizon_weeks, f, r, T
            ),
            alive=bgf.conditional_probability_alive(f, r, T),
            value=ggf.conditional_expected_average_profit(f, m),
            clv=ggf.customer_lifetime_value(
                bgf, f, r, T, m, time=12, discount_rate=0.01, freq="W"
            ),
        )
        out["at_guanxi_params"] = ours

    pnbd = np.load(f"{folder}/pnbd_subset.npz")
    pnf = ParetoNBDFitter(penalizer_coef=0.0)
    timed(
        out,
        "pnbd_fit_subset",
        lambda: pnf.fit(pnbd["frequency"], pnbd["recency"], pnbd["T"]),
    )
    out["pnbd_params"] = {k: float(v) for k, v in pnf.params_.items()}
    tight = ParetoNBDFitter(penalizer_coef=0.0)
    tight.fit(pnbd["frequency"], pnbd["recency"], pnbd["T"], tol=1e-10)
    out["pnbd_params_tight"] = {k: float(v) for k, v in tight.params_.items()}
    json.dump(out, sys.stdout)


def save(folder, suffix, **arrays):
    for name, values in arrays.items():
        np.save(
            f"{folder}/lifetimes_{name}{suffix}.npy", np.asarray(values, dtype=float)
        )


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
