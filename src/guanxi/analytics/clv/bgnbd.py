"""BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers the easy way")."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import interpolate, special

from guanxi.analytics.clv._base import (
    ArrayLike,
    Collapsed,
    FloatArray,
    PurchaseModel,
    as_array,
    check_purchase_columns,
    collapse,
    softplus_expit,
)

__all__ = ["BetaGeo"]


_GRID = 512
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


class BetaGeo(PurchaseModel):
    """BG/NBD: Poisson purchases at rate λ ~ Gamma(r, α); after each purchase the
    customer drops out with probability p ~ Beta(a, b).

    ``params_`` holds ``r``, ``alpha``, ``a``, ``b``.
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")

    def _prepare(self, frame: pd.DataFrame) -> Collapsed:
        return collapse(*check_purchase_columns(frame))

    def _start(self, data: Any) -> FloatArray:
        x, _, big_t = data.rows.columns
        w = data.rows.weight
        alpha = float(np.sum(w * big_t) / np.sum(w * (x + 1.0)))
        return np.array([1.0, max(alpha, 1e-6), 1.0, 1.0])

    def _log_likelihood(
        self, params: FloatArray, data: Any
    ) -> tuple[float, FloatArray]:
        r, alpha, a, b = (float(v) for v in params)
        rows: Collapsed = data.rows
        ux, wx = rows.unique_x, rows.weight_x
        x_all, tx_all, t_all = rows.columns
        w_all = rows.weight
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
        value = float(wx @ per_x)
        grad[0] = wx @ (special.digamma(r + ux) - special.digamma(r) + np.log(alpha))
        grad[1] = wx.sum() * r / alpha
        grad[2] = wx @ (special.digamma(a + b) - psi_abx)
        grad[3] = wx @ (
            special.digamma(b + ux)
            - special.digamma(b)
            + special.digamma(a + b)
            - psi_abx
        )

        # Customers without repeat purchases: -r log(alpha + T).
        zero = data.zero
        if len(zero):
            w0 = w_all[zero]
            at0 = alpha + t_all[zero]
            value -= r * float(w0 @ np.log(at0))
            grad[0] -= float(w0 @ np.log(at0))
            grad[1] -= r * float(w0 @ (1.0 / at0))

        # Repeat buyers: -(r+x) log(alpha+T) + log(1 + exp(d)).
        rep = data.repeat
        if len(rep):
            w = w_all[rep]
            k = x_all[rep] + r
            inv_t = 1.0 / (alpha + t_all[rep])
            inv_tx = 1.0 / (alpha + tx_all[rep])
            log_t = np.log(alpha + t_all[rep])
            gap = log_t - np.log(alpha + tx_all[rep])
            log_b = np.log(np.maximum(b + ux - 1.0, 1e-300))
            d = (np.log(a) - log_b)[rows.inverse[rep]] + k * gap
            softplus, p4 = softplus_expit(d)
            wp4 = w * p4
            value += float(w @ (softplus - k * log_t))
            grad[0] += float(wp4 @ gap - w @ log_t)
            grad[1] += float(wp4 @ (k * (inv_t - inv_tx)) - w @ (k * inv_t))
            grad[2] += float(wp4.sum()) / a
            by_x = rows.per_x_sum(wp4, rep)
            grad[3] -= float(by_x[ux > 0] @ (1.0 / (b + ux[ux > 0] - 1.0)))
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
        d = (
            np.log(a)
            - np.log(np.maximum(b + x - 1.0, 1e-300))
            + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        )
        result: FloatArray = np.where(x > 0, special.expit(-d), 1.0)
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

        For a given frequency the sum depends on T only through y = log(α+T),
        smoothly, so where a frequency has many customers the sum is computed
        exactly at 512 points spanning their y and interpolated with a cubic
        spline (relative error below 1e-10, checked in the tests); frequencies
        with few customers are computed directly.
        """
        params = self._fitted()
        _r, alpha, a, b = params
        x, t_x, big_t = (np.ravel(v) for v in (x, t_x, big_t))
        log_y = np.log(alpha + big_t)
        whole = x.astype(np.int64)
        order = np.argsort(whole, kind="stable")
        bounds = np.flatnonzero(np.diff(whole[order])) + 1
        total = np.empty(len(x))

        def exact(freq: float, y: FloatArray) -> FloatArray:
            out = np.zeros(len(y))
            previous = np.zeros(len(y))
            for time, discount in zip(times, discounts, strict=True):
                current = _bracket(params, np.float64(time), np.float64(freq), y)
                out += discount * (current - previous)
                previous = current
            return out

        for rows in np.split(order, bounds):
            freq = float(x[rows[0]])
            if len(rows) <= 4 * _GRID:
                total[rows] = exact(freq, np.exp(log_y[rows]))
                continue
            low, high = float(log_y[rows].min()), float(log_y[rows].max())
            grid = np.linspace(low, high, _GRID)
            spline = interpolate.CubicSpline(grid, exact(freq, np.exp(grid)))
            total[rows] = spline(log_y[rows])
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
