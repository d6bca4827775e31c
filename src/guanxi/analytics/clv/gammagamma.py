"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie, note 025)."""

from __future__ import annotations

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
    reject,
)
from guanxi.analytics.errors import AnalyticsInputError

__all__ = ["GammaGamma"]


class GammaGamma(CLVModel):
    """Spend per transaction z ~ Gamma(p, ν), with ν ~ Gamma(q, v) across customers.

    Fitted on the repeat buyers (``frequency > 0``) from their ``frequency``
    and ``monetary_value`` (mean spend of the repeat purchases); customers
    without repeat purchases are ignored by ``fit``. ``params_`` holds ``p``,
    ``q`` and ``v`` (the scale called γ in Fader & Hardie).
    """

    param_names: ClassVar[tuple[str, ...]] = ("p", "q", "v")

    def _prepare(self, frame: pd.DataFrame) -> Collapsed:
        data = check_columns(frame, ["frequency", "monetary_value"])
        x, m = data["frequency"], data["monetary_value"]
        reject("frequency", x, x != np.floor(x), "not a whole number")
        reject(
            "monetary_value", m, (x > 0) & (m <= 0), "not positive for a repeat buyer"
        )
        repeat = x > 0
        if not bool(repeat.any()):
            raise AnalyticsInputError(
                "the summary has no repeat buyers (frequency > 0) to fit spend on"
            )
        return collapse(x[repeat], m[repeat])

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
        rows: Collapsed = data.rows
        ux, wx = rows.unique_x, rows.weight_x
        x, m = rows.columns
        w = rows.weight
        px = p * ux
        # Per distinct frequency: the gamma functions and their derivatives.
        value = float(
            wx
            @ (
                special.gammaln(px + q)
                - special.gammaln(px)
                - special.gammaln(q)
                + q * np.log(v)
                + px * np.log(ux)
            )
        )
        psi_pq = special.digamma(px + q)
        grad = np.zeros(3)
        grad[0] = wx @ (ux * (psi_pq - special.digamma(px) + np.log(ux)))
        grad[1] = wx @ (psi_pq - special.digamma(q) + np.log(v))
        grad[2] = wx.sum() * q / v
        # Per row: (p x - 1) log m - (p x + q) log(x m + v).
        log_m = np.log(m)
        log_s = np.log(x * m + v)
        k = p * x + q
        value += float(w @ ((p * x - 1.0) * log_m - k * log_s))
        grad[0] += float(w @ (x * (log_m - log_s)))
        grad[1] -= float(w @ log_s)
        grad[2] -= float(w @ (k / (x * m + v)))
        return value, grad

    def expected_average_value(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> FloatArray:
        """E[spend per transaction | x, m_x]; the population mean when x = 0."""
        p, q, v = self._fitted()
        x = as_array(frequency, "frequency")
        m = as_array(monetary_value, "monetary_value")
        result: FloatArray = p * (v + x * m) / (p * x + q - 1.0)
        return result
