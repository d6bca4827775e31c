"""BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers the easy way")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from guanxi.analytics.clv._base import (
    ArrayLike,
    Collapsed,
    FloatArray,
    PurchaseModel,
    as_array,
    check_purchase_columns,
    collapse,
)

__all__ = ["BetaGeo"]


@dataclass(frozen=True)
class _Data:
    rows: Collapsed
    zero: Any  # indices of rows with frequency 0
    repeat: Any  # indices of rows with frequency > 0


class BetaGeo(PurchaseModel):
    """BG/NBD: Poisson purchases at rate λ ~ Gamma(r, α); after each purchase the
    customer drops out with probability p ~ Beta(a, b).

    ``params_`` holds ``r``, ``alpha``, ``a``, ``b``.
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")

    def _prepare(self, frame: pd.DataFrame) -> _Data:
        rows = collapse(*check_purchase_columns(frame))
        x = rows.columns[0]
        return _Data(rows, np.flatnonzero(x == 0), np.flatnonzero(x > 0))

    def _n_customers(self, data: Any) -> int:
        return round(float(data.rows.weight.sum()))

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
            p4 = special.expit(d)
            wp4 = w * p4
            value += float(w @ (np.logaddexp(0.0, d) - k * log_t))
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
        r, alpha, a, b = self._fitted()
        horizon = as_array(t, "t")
        x = as_array(frequency, "frequency")
        big_t = as_array(T, "T")
        z = horizon / (alpha + big_t + horizon)
        # Euler's transformation of 2F1(r+x, b+x; a+b+x-1; z) keeps its first
        # two parameters independent of x, so large frequencies stay finite.
        hyp = special.hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
        bracket = 1.0 - np.exp((a - 1.0) * np.log1p(-z)) * hyp
        result: FloatArray = (
            (a + b + x - 1.0)
            / (a - 1.0)
            * bracket
            * self.probability_alive(x, recency, big_t)
        )
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
