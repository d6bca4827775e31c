"""BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers the easy way")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import interpolate, special

from guanxi.analytics.clv._base import (
    ArrayLike,
    Collapsed,
    FloatArray,
    IntArray,
    PurchaseModel,
    as_array,
    check_purchase_columns,
    collapse,
    dot,
    frequency_index,
    frequency_order,
    softplus_expit,
)

__all__ = ["BetaGeo"]


# The discounted sums of many customers are tabulated on a grid in log(α+T)
# with this spacing (at least _GRID_MIN points) and interpolated.
_GRID_STEP = 0.005
_GRID_MIN = 64
_TABULATE_ABOVE = 50_000


def _bracket(params: FloatArray, t: Any, x: Any, y: Any) -> FloatArray:
    """1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(α+T+t)), y = α + T.

    Euler's transformation makes it 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1;
    a+b+x-1; z), whose first two parameters do not grow with x.
    """
    r, _, a, b = params
    z = t / (y + t)
    hyp = special.hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    result: FloatArray = 1.0 - np.exp((a - 1.0) * np.log1p(-z)) * hyp
    return result


@dataclass(frozen=True)
class _Rows:
    """The distinct rows laid out once per fit for the likelihood.

    Customers without repeat purchases contribute through T only; the repeat
    buyers are sorted by frequency so that per-frequency terms are expanded
    with ``np.repeat`` and summed with ``np.add.reduceat``.
    """

    rows: Collapsed
    zero_weight: FloatArray
    zero_t: FloatArray
    weight: FloatArray
    weight_x: FloatArray  # weight * frequency
    x: FloatArray
    t_x: FloatArray
    big_t: FloatArray
    freq: FloatArray  # the distinct frequencies (> 0) ...
    starts: IntArray  # ... the first row of each ...
    counts: IntArray  # ... and their numbers of rows

    @classmethod
    def of(cls, rows: Collapsed) -> _Rows:
        x, t_x, big_t = rows.columns
        zero = x == 0
        repeat = np.flatnonzero(~zero)
        repeat = repeat[frequency_order(x[repeat])]
        xs = x[repeat]
        starts = np.flatnonzero(np.diff(xs, prepend=-1.0))
        weight = rows.weight[repeat]
        return cls(
            rows=rows,
            zero_weight=rows.weight[zero],
            zero_t=big_t[zero],
            weight=weight,
            weight_x=weight * xs,
            x=xs,
            t_x=t_x[repeat],
            big_t=big_t[repeat],
            freq=xs[starts],
            starts=starts,
            counts=np.diff(np.append(starts, len(xs))),
        )


def _discounted_sum(
    params: FloatArray,
    times: FloatArray,
    discounts: FloatArray,
    x: FloatArray,
    y: FloatArray,
) -> FloatArray:
    """sum_k discounts[k] * (bracket(times[k]) - bracket(times[k-1])), y = α + T."""
    out = np.zeros(len(y))
    previous = np.zeros(len(y))
    for time, discount in zip(times, discounts, strict=True):
        current = _bracket(params, np.float64(time), x, y)
        out += discount * (current - previous)
        previous = current
    return out


class BetaGeo(PurchaseModel):
    """BG/NBD: Poisson purchases at rate λ ~ Gamma(r, α); after each purchase the
    customer drops out with probability p ~ Beta(a, b).

    ``params_`` holds ``r``, ``alpha``, ``a``, ``b``.
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")

    def _prepare(self, frame: pd.DataFrame) -> Collapsed:
        return collapse(*check_purchase_columns(frame))

    def _data(self, rows: Collapsed) -> _Rows:
        return _Rows.of(rows)

    def _start(self, data: Any) -> FloatArray:
        x, _, big_t = data.rows.columns
        w = data.rows.weight
        alpha = float(np.sum(w * big_t) / np.sum(w * (x + 1.0)))
        return np.array([1.0, max(alpha, 1e-6), 1.0, 1.0])

    def _log_likelihood(
        self, params: FloatArray, data: Any
    ) -> tuple[float, FloatArray]:
        r, alpha, a, b = (float(v) for v in params)
        rows: _Rows = data
        ux, wx = rows.rows.unique_x, rows.rows.weight_x
        grad = np.zeros(4)

        # Terms that depend on the frequency only: once per distinct frequency.
        psi_abx = special.digamma(a + b + ux)
        per_x = (
            special.gammaln(r + ux)
            - special.gammaln(r)
            + r * np.log(alpha)
            + special.betaln(a, b + ux)
            - special.betaln(a, b)
        )
        value = dot(wx, per_x)
        grad[0] = dot(wx, special.digamma(r + ux) - special.digamma(r) + np.log(alpha))
        grad[1] = wx.sum() * r / alpha
        grad[2] = dot(wx, special.digamma(a + b) - psi_abx)
        grad[3] = dot(
            wx,
            special.digamma(b + ux)
            - special.digamma(b)
            + special.digamma(a + b)
            - psi_abx,
        )

        # Customers without repeat purchases: -r log(alpha + T).
        if len(rows.zero_t):
            at0 = rows.zero_t + alpha
            log_at0 = np.log(at0)
            sum_log = dot(rows.zero_weight, log_at0)
            value -= r * sum_log
            grad[0] -= sum_log
            grad[1] -= r * dot(rows.zero_weight, np.reciprocal(at0, out=at0))

        # Repeat buyers: -(r+x) log(alpha+T) + log(1 + exp(d)), where
        # d = log(a/(b+x-1)) + (r+x) log((alpha+T)/(alpha+t_x)).
        if len(rows.x):
            w, w_x = rows.weight, rows.weight_x
            at = rows.big_t + alpha
            atx = rows.t_x + alpha
            log_t = np.log(at)
            gap = np.log(at / atx)
            k = rows.x + r
            d = k * gap
            d += np.repeat(
                np.log(a) - np.log(np.maximum(b + rows.freq - 1.0, 1e-300)),
                rows.counts,
            )
            softplus, p4 = softplus_expit(d)
            wp4 = np.multiply(w, p4, out=p4)
            sum_log_t = dot(w, log_t)
            value += dot(w, softplus) - r * sum_log_t - dot(w_x, log_t)
            grad[0] += dot(wp4, gap) - sum_log_t
            inv_t = np.reciprocal(at, out=at)
            inv_tx = np.reciprocal(atx, out=atx)
            grad[1] -= r * dot(w, inv_t) + dot(w_x, inv_t)
            inv_t -= inv_tx
            inv_t *= k
            grad[1] += dot(wp4, inv_t)
            by_x = np.add.reduceat(wp4, rows.starts)
            grad[2] += float(by_x.sum()) / a
            grad[3] -= dot(by_x, 1.0 / (b + rows.freq - 1.0))
        return value, grad

    # -- predictions --------------------------------------------------------
    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """P(customer still active at T | x, t_x, T)."""
        r, alpha, a, b = self._fitted()
        x = as_array(frequency, "frequency")
        t_x = as_array(recency, "recency")
        big_t = as_array(T, "T")
        d = np.log((alpha + big_t) / (alpha + t_x))
        d *= r + x
        d -= np.log(np.maximum(b + x - 1.0, 1e-300))
        d += np.log(a)
        result: FloatArray = np.where(x > 0, special.expit(-d), 1.0)
        return result

    def probability_no_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """P(no purchase in (T, T + t] | x, t_x, T): the BTYD churn probability.

        A customer who is no longer active buys nothing. One who is active at
        T has, given the data, a purchase rate λ ~ Gamma(r + x, α + T), and
        drops out only just after a purchase, so buys nothing in the next t
        with probability E[exp(-λ t)] = ((α + T) / (α + T + t))^(r + x)::

            P(X(t) = 0) = 1 - P(alive) + P(alive) ((α + T) / (α + T + t))^(r + x)

        (Fader, Hardie & Lee 2005, with the posterior of λ of their eq. 9).
        Unlike 1 - P(alive), which is 0 for every customer without a repeat
        purchase, it grows with the time since the last purchase for all.
        """
        r, alpha, _a, _b = self._fitted()
        horizon = as_array(t, "t")
        x = as_array(frequency, "frequency")
        big_t = as_array(T, "T")
        alive = self.probability_alive(x, recency, big_t)
        quiet = np.exp(
            (r + x) * (np.log(alpha + big_t) - np.log(alpha + big_t + horizon))
        )
        result: FloatArray = 1.0 - alive + alive * quiet
        return result

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """E[purchases in (T, T + t] | x, t_x, T]."""
        _r, alpha, a, b = self._fitted()
        horizon = as_array(t, "t")
        x = as_array(frequency, "frequency")
        big_t = as_array(T, "T")
        t_x = as_array(recency, "recency")
        if horizon.ndim == 0 and x.size > _TABULATE_ABOVE:
            # One horizon for many customers: tabulate as clv() does.
            x, t_x, big_t = np.broadcast_arrays(x, t_x, big_t)
            tabulated = self._discounted_purchases(
                horizon.reshape(1), np.ones(1), x, t_x, big_t
            )
            return tabulated.reshape(x.shape)
        result: FloatArray = (
            (a + b + x - 1.0)
            / (a - 1.0)
            * _bracket(self._fitted(), horizon, x, alpha + big_t)
            * self.probability_alive(x, t_x, big_t)
        )
        return result

    def _discounted_purchases(
        self,
        times: FloatArray,
        discounts: FloatArray,
        x: FloatArray,
        t_x: FloatArray,
        big_t: FloatArray,
    ) -> FloatArray:
        """The discounted sum over periods, tabulated per distinct frequency.

        For a given frequency the sum depends on T only through u = log(α+T),
        smoothly. For each frequency with more customers than grid points it
        is computed exactly on a grid of u spaced _GRID_STEP apart over all
        customers' u, and interpolated with a cubic spline (relative error
        below 1e-9, checked in the tests); the others are computed directly.
        """
        params = self._fitted()
        _r, alpha, a, b = params
        x, t_x, big_t = (np.ravel(v) for v in (x, t_x, big_t))
        y = alpha + big_t
        u = np.log(y)
        total = np.empty(len(x))
        freqs, inverse = frequency_index(x)
        finite = np.isfinite(u)
        tabulated = np.zeros(len(freqs), dtype=bool)
        if bool(finite.any()):
            low, high = float(u[finite].min()), float(u[finite].max())
            high = max(high, low + (_GRID_MIN - 1) * _GRID_STEP)
            size = int(np.ceil((high - low) / _GRID_STEP)) + 1
            counts = np.bincount(inverse[finite], minlength=len(freqs))
            tabulated = counts > size
        on_grid = finite & tabulated[inverse]
        direct = np.flatnonzero(~on_grid)
        total[direct] = _discounted_sum(params, times, discounts, x[direct], y[direct])
        if bool(tabulated.any()):
            grid = np.linspace(low, high, size)
            n_freqs = int(tabulated.sum())
            values = _discounted_sum(
                params,
                times,
                discounts,
                np.repeat(freqs[tabulated], size),
                np.tile(np.exp(grid), n_freqs),
            )
            # c[:, k * n_freqs + f]: the cubic of frequency f on
            # [grid[k], grid[k + 1]], in powers of (u - grid[k]).
            spline = interpolate.CubicSpline(grid, values.reshape(n_freqs, size).T)
            c = spline.c.reshape(4, -1)
            slot = np.cumsum(tabulated) - 1
            rows = np.flatnonzero(on_grid)
            at = u[rows]
            k = np.minimum(
                ((at - low) * ((size - 1) / (high - low))).astype(np.intp), size - 2
            )
            at -= grid[k]
            k *= n_freqs
            k += slot[inverse[rows]]
            value = np.take(c[0], k)
            for row in c[1:]:
                value *= at
                value += np.take(row, k)
            total[rows] = value
        scale = (a + b + x - 1.0) / (a - 1.0) * self.probability_alive(x, t_x, big_t)
        result: FloatArray = total * scale
        return result

    def expected_purchases_new_customer(self, t: ArrayLike) -> FloatArray:
        """E[purchases in (0, t]] of a customer just acquired (population curve)."""
        r, alpha, a, b = self._fitted()
        horizon = as_array(t, "t")
        z = horizon / (alpha + horizon)
        hyp = special.hyp2f1(r, b, a + b - 1.0, z)
        result: FloatArray = (
            (a + b - 1.0) / (a - 1.0) * (1.0 - np.exp(r * np.log1p(-z)) * hyp)
        )
        return result
