"""Summary frames drawn from BG/NBD, Pareto/NBD and Gamma-Gamma with known parameters.

Purchases happen in continuous time; a customer's first purchase is at time 0
and ``T`` is how long each customer has been observed since. Used by the
tests (parameter recovery) and the benchmarks.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from guanxi.analytics.errors import AnalyticsInputError

__all__ = ["simulate_bgnbd", "simulate_gamma_gamma", "simulate_paretonbd"]

Seed = int | np.random.Generator | None


def _observed(n_customers: int, T: float | npt.ArrayLike) -> npt.NDArray[np.float64]:
    if n_customers < 1:
        raise AnalyticsInputError(f"n_customers: must be >= 1, got {n_customers}")
    big_t = np.broadcast_to(np.asarray(T, dtype=np.float64), (n_customers,)).copy()
    if not bool(np.all(np.isfinite(big_t) & (big_t > 0))):
        raise AnalyticsInputError("T: every observation length must be > 0")
    return big_t


def _frame(
    x: npt.NDArray[np.float64],
    t_x: npt.NDArray[np.float64],
    big_t: npt.NDArray[np.float64],
) -> pd.DataFrame:
    frame = pd.DataFrame({"frequency": x, "recency": t_x, "T": big_t})
    frame.index.name = "customer_id"
    return frame


def _kth_of_uniforms(
    rng: np.random.Generator,
    k: npt.NDArray[np.float64],
    n: npt.NDArray[np.float64],
    length: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Time of the k-th of n uniform points on [0, length] (0 where k = 0)."""
    out = np.zeros_like(length)
    some = k > 0
    out[some] = length[some] * rng.beta(k[some], n[some] - k[some] + 1.0)
    return out


def simulate_bgnbd(
    n_customers: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: float | npt.ArrayLike,
    random_state: Seed = None,
) -> pd.DataFrame:
    """``frequency``, ``recency``, ``T`` of customers following BG/NBD.

    Each customer buys at a Poisson rate λ ~ Gamma(r, α) and after each
    repeat purchase drops out with probability p ~ Beta(a, b).
    """
    rng = np.random.default_rng(random_state)
    big_t = _observed(n_customers, T)
    rate = rng.gamma(r, 1.0 / alpha, n_customers)
    p = rng.beta(a, b, n_customers)
    events = rng.poisson(rate * big_t).astype(np.float64)
    last = rng.geometric(p).astype(np.float64)  # the purchase after which they leave
    x = np.minimum(events, last)
    return _frame(x, _kth_of_uniforms(rng, x, events, big_t), big_t)


def simulate_paretonbd(
    n_customers: int,
    *,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    T: float | npt.ArrayLike,
    random_state: Seed = None,
) -> pd.DataFrame:
    """``frequency``, ``recency``, ``T`` of customers following Pareto/NBD.

    Each customer buys at a Poisson rate λ ~ Gamma(r, α) for an exponential
    lifetime with rate μ ~ Gamma(s, β).
    """
    rng = np.random.default_rng(random_state)
    big_t = _observed(n_customers, T)
    rate = rng.gamma(r, 1.0 / alpha, n_customers)
    death = rng.gamma(s, 1.0 / beta, n_customers)
    active = np.minimum(rng.exponential(1.0, n_customers) / death, big_t)
    x = rng.poisson(rate * active).astype(np.float64)
    return _frame(x, _kth_of_uniforms(rng, x, x, active), big_t)


def simulate_gamma_gamma(
    frequency: npt.ArrayLike | pd.Series,
    *,
    p: float,
    q: float,
    v: float,
    random_state: Seed = None,
) -> npt.NDArray[np.float64]:
    """Mean spend of each customer's ``frequency`` repeat purchases (0 without any).

    Each spend is Gamma(p, ν) with the customer's ν ~ Gamma(q, v).
    """
    rng = np.random.default_rng(random_state)
    x = np.asarray(frequency, dtype=np.float64)
    nu = rng.gamma(q, 1.0 / v, x.shape)
    spend = np.zeros_like(x)
    some = x > 0
    spend[some] = rng.gamma(p * x[some], 1.0 / nu[some]) / x[some]
    return spend
