"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie, note 025)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from guanxi.analytics.clv._base import (
    ArrayLike,
    CLVModel,
    Collapsed,
    FloatArray,
    as_array,
    check_columns,
    collapse,
    dot,
    reject,
)
from guanxi.analytics.errors import AnalyticsInputError

__all__ = ["GammaGamma"]


@dataclass(frozen=True)
class _Rows:
    """The distinct (x, m) rows with the sums that do not depend on parameters.

    Per row the likelihood needs only log(x m + v); the terms in log m are
    summed once per fit.
    """

    rows: Collapsed
    weight: FloatArray
    weight_x: FloatArray  # weight * x
    spend: FloatArray  # x * m
    sum_log_m: float  # sum of w log m
    sum_x_log_m: float  # sum of w x log m

    @classmethod
    def of(cls, rows: Collapsed) -> _Rows:
        x, m = rows.columns
        weight_x = rows.weight * x
        log_m = np.log(m)
        return cls(
            rows=rows,
            weight=rows.weight,
            weight_x=weight_x,
            spend=x * m,
            sum_log_m=dot(rows.weight, log_m),
            sum_x_log_m=dot(weight_x, log_m),
        )


class GammaGamma(CLVModel):
    """Spend per transaction z ~ Gamma(p, ν), with ν ~ Gamma(q, v) across customers.

    Fitted on the repeat buyers (``frequency > 0``) from their ``frequency``
    and ``monetary_value`` (mean spend of the repeat purchases) whose mean
    spend is positive: spend is positive in the model, and zero or negative
    means (free items, refunds) carry no spend it can learn from. ``fit``
    ignores the other customers and counts them: ``n_one_time_`` without a
    repeat purchase, ``n_not_positive_`` repeat buyers with a mean spend of 0
    or less. ``params_`` holds ``p``, ``q`` and ``v`` (the scale called γ in
    Fader & Hardie).
    """

    param_names: ClassVar[tuple[str, ...]] = ("p", "q", "v")

    n_one_time_: int
    n_not_positive_: int

    def _prepare(self, frame: pd.DataFrame) -> Collapsed:
        data = check_columns(frame, ["frequency", "monetary_value"], signed=True)
        x, m = data["frequency"], data["monetary_value"]
        reject("frequency", x, x != np.floor(x), "not a whole number")
        repeat = x > 0
        spends = repeat & (m > 0)
        self.n_one_time_ = int(np.count_nonzero(~repeat))
        self.n_not_positive_ = int(np.count_nonzero(repeat & ~spends))
        if not bool(spends.any()):
            raise AnalyticsInputError(
                "the summary has no repeat buyers (frequency > 0) with a positive "
                "mean spend to fit spend on"
            )
        return collapse(x[spends], m[spends])

    def _data(self, rows: Collapsed) -> _Rows:
        return _Rows.of(rows)

    def _start(self, data: Any) -> FloatArray:
        _, m = data.rows.columns
        w = data.rows.weight
        mean = float(np.sum(w * m) / np.sum(w))
        # With p = q = 2 the population mean spend p v / (q - 1) is the data's.
        return np.array([2.0, 2.0, max(mean / 2.0, 1e-6)])

    def _log_likelihood(
        self, params: FloatArray, data: Any
    ) -> tuple[float, FloatArray]:
        p, q, v = (float(val) for val in params)
        rows: _Rows = data
        ux, wx = rows.rows.unique_x, rows.rows.weight_x
        px = p * ux
        # Per distinct frequency: the gamma functions and their derivatives.
        value = dot(
            wx,
            special.gammaln(px + q)
            - special.gammaln(px)
            - special.gammaln(q)
            + q * np.log(v)
            + px * np.log(ux),
        )
        psi_pq = special.digamma(px + q)
        grad = np.zeros(3)
        grad[0] = dot(wx, ux * (psi_pq - special.digamma(px) + np.log(ux)))
        grad[1] = dot(wx, psi_pq - special.digamma(q) + np.log(v))
        grad[2] = wx.sum() * q / v
        # Per row: (p x - 1) log m - (p x + q) log(x m + v).
        s = rows.spend + v
        log_s = np.log(s)
        sum_log_s = dot(rows.weight, log_s)
        sum_x_log_s = dot(rows.weight_x, log_s)
        inv_s = np.reciprocal(s, out=s)
        value += p * rows.sum_x_log_m - rows.sum_log_m - p * sum_x_log_s - q * sum_log_s
        grad[0] += rows.sum_x_log_m - sum_x_log_s
        grad[1] -= sum_log_s
        grad[2] -= p * dot(rows.weight_x, inv_s) + q * dot(rows.weight, inv_s)
        return value, grad

    def expected_average_value(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> FloatArray:
        """E[spend per transaction | x, m_x] = p (v + x m_x) / (p x + q - 1).

        The population mean p v / (q - 1) when x = 0. A mean spend of 0 or
        less (free items, refunds; left out of ``fit``) counts as 0: the
        value is then p v / (p x + q - 1), the limit of the formula as the
        mean spend falls to 0 — below the population mean, the lower the
        more such purchases there were, and continuous with the value of a
        customer who spends a cent.
        """
        p, q, v = self._fitted()
        x = as_array(frequency, "frequency")
        m = np.maximum(as_array(monetary_value, "monetary_value"), 0.0)
        result: FloatArray = p * (v + x * m) / (p * x + q - 1.0)
        return result
