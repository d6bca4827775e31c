"""Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987; Fader & Hardie 2005 note).

The likelihood of a customer with x repeat purchases, the last at t_x, observed
for T, is

    L = Γ(r+x)/Γ(r) α^r β^s [ (α+T)^-(r+x) (β+T)^-s + s (J(t_x) - J(T)) ],
    J(t) = ∫_t^∞ (α+τ)^-(r+x) (β+τ)^-(s+1) dτ.

With m = max(α, β), n = min(α, β) and z_t = (m - n)/(m + t) in [0, 1),
Euler's transformation gives

    s J(t) = (α+t)^-(r+x) (β+t)^-s · (s/(r+s+x)) (1 - z_t)^δ · 2F1(1, p; r+s+x+1; z_t)

(δ = 0, p = r+x when α ≥ β; δ = 1, p = s+1 otherwise). That 2F1 has
positive terms falling at least geometrically with ratio z_t, so its series
is summed without overflow for any frequency, and everything else is kept in
logs. The hypergeometric series also yields the derivatives in p, q and z,
which give the analytic gradient.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from guanxi.analytics.clv._base import (
    ArrayLike,
    Collapsed,
    FloatArray,
    PurchaseModel,
    Split,
    as_array,
    check_purchase_columns,
    collapse,
    softplus_expit,
)

__all__ = ["ParetoNBD"]

_EPS = 1e-16
_MAX_TERMS = 20_000  # enough for z up to 0.998; beyond, accuracy degrades


def hyp2f1_1(
    p: FloatArray | float, q: FloatArray, z: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """2F1(1, p; q; z) for q > p > 0, 0 <= z < 1, and its derivatives in p, q, z.

    Sums the series sum_n prod_{k<n} (p+k)/(q+k) z^n, whose terms decrease at
    least as fast as z^n; each row stops once its remaining tail is below
    1e-16 of the sum. ``p`` may be one number for all rows (cheaper).
    """
    size = z.shape[0]
    shared_p = np.ndim(p) == 0
    p_rows = np.broadcast_to(np.asarray(p, dtype=np.float64), (size,))
    out_s = np.ones(size)
    out_p = np.zeros(size)
    out_q = np.zeros(size)
    out_z = p_rows / q  # the derivative in z at z = 0
    active = np.flatnonzero(z > 0)
    pa: FloatArray | float = float(p) if shared_p else p_rows[active]
    qa, za = q[active], z[active]
    count = len(active)
    term = np.ones(count)
    dp: FloatArray | float = 0.0 if shared_p else np.zeros(count)
    dq = np.zeros(count)
    s_sum, s_p, s_q, s_z = (
        np.ones(count),
        np.zeros(count),
        np.zeros(count),
        np.zeros(count),
    )
    scratch = np.empty(count)
    n = 0
    while count and n < _MAX_TERMS:
        for _ in range(8):
            qn = qa + n
            pn = pa + n
            term *= pn
            term /= qn
            np.multiply(term, n + 1, out=scratch)
            s_z += scratch
            dp += 1.0 / pn
            np.reciprocal(qn, out=qn)
            dq += qn
            term *= za
            s_sum += term
            np.multiply(term, dp, out=scratch)
            s_p += scratch
            np.multiply(term, dq, out=scratch)
            s_q -= scratch
            n += 1
        tail = term * (n + 1) * (1.0 + dp + dq)
        done = tail < _EPS * (1.0 - za) * s_sum
        if bool(done.any()):
            finished = active[done]
            out_s[finished] = s_sum[done]
            out_p[finished] = s_p[done]
            out_q[finished] = s_q[done]
            out_z[finished] = s_z[done]
            keep = ~done
            active = active[keep]
            count = len(active)
            qa, za, term, dq = qa[keep], za[keep], term[keep], dq[keep]
            if not shared_p:
                pa, dp = pa[keep], dp[keep]  # type: ignore[index]
            s_sum, s_p, s_q, s_z = s_sum[keep], s_p[keep], s_q[keep], s_z[keep]
            scratch = np.empty(count)
    out_s[active], out_p[active], out_q[active], out_z[active] = s_sum, s_p, s_q, s_z
    return out_s, out_p, out_q, out_z


def _tail(
    params: FloatArray, x: FloatArray, t: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """log P(t), its gradient, log R(t) and its gradient (gradients shaped (4, n)).

    P(t) = (α+t)^-(r+x) (β+t)^-s and R(t) = s J(t) / P(t).
    """
    r, alpha, s, beta = (float(v) for v in params)
    a = r + s + x
    at = alpha + t
    bt = beta + t
    log_at, log_bt = np.log(at), np.log(bt)
    log_p = -(r + x) * log_at - s * log_bt
    d_log_p = np.stack([-log_at, -(r + x) / at, -log_bt, -s / bt])
    swap = beta > alpha
    if swap:
        z = (beta - alpha) / bt
        series, s_p, s_q, s_z = hyp2f1_1(s + 1.0, a + 1.0, z)
        dz_alpha, dz_beta = -1.0 / bt, at / (bt * bt)
    else:
        z = (alpha - beta) / at
        series, s_p, s_q, s_z = hyp2f1_1(r + x, a + 1.0, z)
        dz_alpha, dz_beta = bt / (at * at), -1.0 / at
    inv = 1.0 / series
    d_log_s_p, d_log_s_q, d_log_s_z = s_p * inv, s_q * inv, s_z * inv
    log_r = np.log(s) - np.log(a) + np.log(series)
    d_r = -1.0 / a + d_log_s_q + (0.0 if swap else d_log_s_p)
    d_s = 1.0 / s - 1.0 / a + d_log_s_q + (d_log_s_p if swap else 0.0)
    d_alpha = d_log_s_z * dz_alpha
    d_beta = d_log_s_z * dz_beta
    if swap:
        log_r = log_r + log_at - log_bt
        d_alpha = d_alpha + 1.0 / at
        d_beta = d_beta - 1.0 / bt
    return log_p, d_log_p, log_r, np.stack([d_r, d_alpha, d_s, d_beta])


class ParetoNBD(PurchaseModel):
    """Pareto/NBD: Poisson purchases at rate λ ~ Gamma(r, α) while alive; an
    exponential lifetime with rate μ ~ Gamma(s, β).

    ``params_`` holds ``r``, ``alpha``, ``s``, ``beta``.
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")

    def _prepare(self, frame: pd.DataFrame) -> Collapsed:
        return collapse(*check_purchase_columns(frame))

    def _start(self, data: Any) -> FloatArray:
        x, _, big_t = data.rows.columns
        w = data.rows.weight
        mean_t = float(np.sum(w * big_t) / np.sum(w))
        alpha = float(np.sum(w * big_t) / np.sum(w * (x + 1.0)))
        return np.array([1.0, max(alpha, 1e-6), 1.0, max(mean_t, 1e-6)])

    def _terms(
        self, params: FloatArray, data: Split
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Per distinct row: log(B e^-P(T))... as G1, G2 and their gradients."""
        x, t_x, big_t = data.rows.columns
        log_p_t, d_log_p_t, log_r_t, d_log_r_t = _tail(params, x, big_t)
        # Without repeat purchases t_x = 0: one evaluation serves them all.
        g2 = np.empty_like(x)
        d_g2 = np.empty((4, len(x)))
        if len(data.zero):
            one = np.zeros(1)
            lp, dlp, lr, dlr = _tail(params, one, one)
            g2[data.zero] = (lp + lr)[0]
            d_g2[:, data.zero] = (dlp + dlr)[:, :1]
        if len(data.repeat):
            rep = data.repeat
            lp, dlp, lr, dlr = _tail(params, x[rep], t_x[rep])
            g2[rep] = lp + lr
            d_g2[:, rep] = dlp + dlr
        # G1 = log P(T) + log(1 - R(T)); R(T) < 1 (see the module docstring).
        g1 = log_p_t + np.log(-np.expm1(log_r_t))
        d_g1 = d_log_p_t - d_log_r_t / np.expm1(-log_r_t)
        return g1, d_g1, g2, d_g2

    def _log_likelihood(
        self, params: FloatArray, data: Any
    ) -> tuple[float, FloatArray]:
        r, alpha, s, beta = (float(v) for v in params)
        rows: Collapsed = data.rows
        ux, wx = rows.unique_x, rows.weight_x
        value = float(
            wx
            @ (
                special.gammaln(r + ux)
                - special.gammaln(r)
                + r * np.log(alpha)
                + s * np.log(beta)
            )
        )
        grad = np.array(
            [
                wx @ (special.digamma(r + ux) - special.digamma(r) + np.log(alpha)),
                wx.sum() * r / alpha,
                wx.sum() * np.log(beta),
                wx.sum() * s / beta,
            ]
        )
        g1, d_g1, g2, d_g2 = self._terms(params, data)
        w = rows.weight
        softplus, share = softplus_expit(g2 - g1)
        value += float(w @ (g1 + softplus))
        grad += d_g1 @ (w * (1.0 - share)) + d_g2 @ (w * share)
        return value, grad

    # -- predictions --------------------------------------------------------
    def _log_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        params = self._fitted()
        x = as_array(frequency, "frequency")
        t_x = as_array(recency, "recency")
        big_t = as_array(T, "T")
        x, t_x, big_t = (np.ravel(v) for v in np.broadcast_arrays(x, t_x, big_t))
        log_p_t, _, log_r_t, _ = _tail(params, x, big_t)
        _, _, log_r_x, _ = _tail(params, x, t_x)
        log_p_x = -(params[0] + x) * np.log(params[1] + t_x) - params[2] * np.log(
            params[3] + t_x
        )
        g1 = log_p_t + np.log(-np.expm1(log_r_t))
        g2 = log_p_x + log_r_x
        return log_p_t - np.logaddexp(g1, g2), x, t_x, big_t

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """P(customer still active at T | x, t_x, T)."""
        shape = np.broadcast(
            as_array(frequency, "frequency"),
            as_array(recency, "recency"),
            as_array(T, "T"),
        ).shape
        log_alive, _, _, _ = self._log_alive(frequency, recency, T)
        result: FloatArray = np.exp(log_alive).reshape(shape)
        return result

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """E[purchases in (T, T + t] | x, t_x, T]."""
        r, alpha, s, beta = self._fitted()
        horizon = as_array(t, "t")
        x = as_array(frequency, "frequency")
        big_t = as_array(T, "T")
        alive = self.probability_alive(x, recency, big_t)
        growth = _power_integral(s - 1.0, np.log1p(horizon / (beta + big_t)))
        result: FloatArray = (r + x) * (beta + big_t) / (alpha + big_t) * growth * alive
        return result

    def expected_purchases_new_customer(self, t: ArrayLike) -> FloatArray:
        """E[purchases in (0, t]] of a customer just acquired (population curve)."""
        r, alpha, s, beta = self._fitted()
        horizon = as_array(t, "t")
        result: FloatArray = (
            r * beta / alpha * _power_integral(s - 1.0, np.log1p(horizon / beta))
        )
        return result


def _power_integral(c: float, u: FloatArray) -> FloatArray:
    """(1 - exp(-c u)) / c, which tends to u as c -> 0."""
    if abs(c) < 1e-12:
        return u
    result: FloatArray = -np.expm1(-c * u) / c
    return result
