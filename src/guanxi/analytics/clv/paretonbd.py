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

Its coefficients depend on the frequency only, so the points (x, t) are
sorted by x, then t, once: for each frequency the series and its derivatives
are four polynomials in z with scalar coefficients, evaluated for a block of
points at once as (coefficients) x (powers of z). Along a frequency's points
z only falls, and each block takes as many terms as its largest z needs.
"""

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
    IntArray,
    PurchaseModel,
    as_array,
    check_purchase_columns,
    collapse,
    dot,
    frequency_order,
    softplus_expit,
)

__all__ = ["ParetoNBD"]

_EPS = 1e-16
_MAX_TERMS = 20_000  # enough for z up to 0.998; beyond, accuracy degrades
_FIRST_TERMS = 64  # the coefficients computed for all frequencies at once
_BLOCK = 1 << 18  # powers of z per block (2 MB)


@dataclass(frozen=True)
class _Coefficients:
    """The series of 2F1(1, p; q; z) for one (p, q).

    ``rows`` holds the coefficients of S = sum c_n z^n, dS/dp, dS/dq and
    dS/dz as polynomials in z; ``log_size`` bounds the tails (relative to
    S >= 1) for ``terms``.
    """

    rows: FloatArray
    log_size: FloatArray

    @classmethod
    def for_groups(
        cls, p: FloatArray, q: FloatArray, z_max: FloatArray
    ) -> list[_Coefficients]:
        """One table per (p[g], q[g]), with enough terms for z up to z_max[g]."""
        rows, log_size = _coefficients(p[:, None], q[:, None], _FIRST_TERMS)
        tables = []
        for g in range(len(p)):
            table = cls(rows[:, g], log_size[g])
            size = _FIRST_TERMS
            while table.terms(float(z_max[g])) >= size and size < _MAX_TERMS:
                size = min(4 * size, _MAX_TERMS)
                grown, grown_log = _coefficients(
                    p[g : g + 1, None], q[g : g + 1, None], size
                )
                table = cls(grown[:, 0], grown_log[0])
            tables.append(table)
        return tables

    def terms(self, z: float) -> int:
        """How many terms make every tail below 1e-16 (1 - z) at this z (>= 2)."""
        if not z > 0.0:  # 0, or NaN (which the sums pass on)
            return 2
        small = self.log_size + np.log(z) * np.arange(len(self.log_size)) < np.log(
            _EPS * (1.0 - z)
        )
        small[:2] = False
        first = int(np.argmax(small))
        return first + 1 if small[first] else len(self.log_size)


def _coefficients(
    p: FloatArray, q: FloatArray, size: int
) -> tuple[FloatArray, FloatArray]:
    """For p and q of shape (g, 1): coefficient rows (4, g, size), log tail sizes.

    c_n = prod_{k<n} (p+k)/(q+k), D_n = sum_{k<n} 1/(p+k), E_n likewise in q;
    S = sum c_n z^n, dS/dp = sum c_n D_n z^n, dS/dq = -sum c_n E_n z^n and
    dS/dz = sum (n+1) c_{n+1} z^n.
    """
    n = np.arange(size, dtype=np.float64)
    pn, qn = p + n[:-1], q + n[:-1]
    shape = (len(p), size)
    c = np.ones(shape)
    np.cumprod(pn / qn, axis=1, out=c[:, 1:])
    d_p = np.zeros(shape)
    np.cumsum(1.0 / pn, axis=1, out=d_p[:, 1:])
    d_q = np.zeros(shape)
    np.cumsum(1.0 / qn, axis=1, out=d_q[:, 1:])
    d_z = np.zeros(shape)
    d_z[:, :-1] = n[1:] * c[:, 1:]
    with np.errstate(divide="ignore"):
        log_size = np.log(c * (n + 1.0) * (1.0 + d_p + d_q))
    return np.stack([c, c * d_p, -c * d_q, d_z]), log_size


def _series(
    p: FloatArray,
    q: FloatArray,
    z: FloatArray,
    starts: IntArray,
    derivatives: bool = True,
) -> FloatArray:
    """2F1(1, p; q; z) for groups of points sharing p and q (q > p > 0).

    Group g is z[starts[g]:starts[g+1]], in non-increasing order, 0 <= z < 1.
    Returns S, or with ``derivatives`` the rows S, dS/dp, dS/dq, dS/dz.
    Each block of points takes as many terms as its first (largest) z needs
    and covers the points down to the square of that z, which need about
    half as many.
    """
    size = len(z)
    out = np.empty((4 if derivatives else 1, size))
    ends = np.append(starts[1:], size)[: len(starts)]
    falling = -z
    tables = _Coefficients.for_groups(p, q, z[starts])
    for table, lo, hi in zip(tables, starts.tolist(), ends.tolist(), strict=True):
        coefficients = table.rows if derivatives else table.rows[:1]
        while lo < hi:
            top = float(z[lo])
            terms = table.terms(top)
            end = lo + int(np.searchsorted(falling[lo:hi], -top * top, side="left"))
            end = max(lo + 1, min(end, lo + max(1, _BLOCK // terms)))
            block = z[lo:end]
            if terms <= end - lo:
                powers = np.empty((terms, end - lo))
                powers[0] = 1.0
                for k in range(1, terms):
                    np.multiply(powers[k - 1], block, out=powers[k])
                out[:, lo:end] = np.einsum("kn,nm->km", coefficients[:, :terms], powers)
            else:
                # Few points, many terms: the powers of each point in a row.
                powers = np.empty((end - lo, terms))
                powers[:, 0] = 1.0
                powers[:, 1:] = block[:, None]
                np.cumprod(powers, axis=1, out=powers)
                out[:, lo:end] = np.einsum("mn,kn->km", powers, coefficients[:, :terms])
            lo = end
    return out


def hyp2f1_1(
    p: FloatArray | float, q: FloatArray, z: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """2F1(1, p; q; z) for q > p > 0, 0 <= z < 1, and its derivatives in p, q, z.

    Any p and q per point: the points are grouped by (p, q) for ``_series``.
    """
    p_rows = np.broadcast_to(np.asarray(p, dtype=np.float64), z.shape)
    order = np.lexsort((-z, q, p_rows))
    ps, qs = p_rows[order], q[order]
    new = np.ones(len(z), dtype=bool)
    new[1:] = (ps[1:] != ps[:-1]) | (qs[1:] != qs[:-1])
    starts = np.flatnonzero(new)
    sorted_out = _series(ps[starts], qs[starts], z[order], starts)
    out = np.empty_like(sorted_out)
    out[:, order] = sorted_out
    return out[0], out[1], out[2], out[3]


@dataclass(frozen=True)
class _Points:
    """Points (x, t) sorted by x, then t, with the first point of each x."""

    x: FloatArray
    t: FloatArray
    freq: FloatArray
    starts: IntArray
    counts: IntArray

    @classmethod
    def of(cls, x: FloatArray, t: FloatArray) -> tuple[_Points, IntArray]:
        """The points in sorted order, and the positions they were taken from."""
        order = frequency_order(x, t)
        xs = x[order]
        starts = np.flatnonzero(np.diff(xs, prepend=-1.0))
        counts = np.diff(np.append(starts, len(xs)))
        return cls(xs, t[order], xs[starts], starts, counts), order


@dataclass(frozen=True)
class _Tail:
    """log P(t) and log R(t) at some points, with their gradients (4, n) or None.

    P(t) = (α+t)^-(r+x) (β+t)^-s and R(t) = s J(t) / P(t); the gradients are
    in (r, α, s, β).
    """

    log_p: FloatArray
    log_r: FloatArray
    d_log_p: FloatArray | None = None
    d_log_r: FloatArray | None = None

    def weighted(self, on_p: FloatArray, on_r: FloatArray) -> FloatArray:
        """sum(on_p * d log P) + sum(on_r * d log R), one sum per parameter."""
        if self.d_log_p is None or self.d_log_r is None:
            raise ValueError("computed without derivatives")
        total: FloatArray = np.einsum("ki,i->k", self.d_log_p, on_p)
        total += np.einsum("ki,i->k", self.d_log_r, on_r)
        return total


def _tail(params: FloatArray, points: _Points, derivatives: bool = True) -> _Tail:
    r, alpha, s, beta = (float(v) for v in params)
    x, t = points.x, points.t
    at = t + alpha
    bt = t + beta
    log_at, log_bt = np.log(at), np.log(bt)
    k = x + r
    log_p = k * log_at
    log_p += s * log_bt
    np.negative(log_p, out=log_p)
    a_freq = r + s + points.freq
    swap = beta > alpha
    inv_at, inv_bt = 1.0 / at, 1.0 / bt
    if swap:
        z = inv_bt * (beta - alpha)
        p_freq = np.full(len(a_freq), s + 1.0)
    else:
        z = inv_at * (alpha - beta)
        p_freq = r + points.freq
    series = _series(p_freq, a_freq + 1.0, z, points.starts, derivatives)
    log_r = np.log(series[0])
    log_r += np.repeat(np.log(s) - np.log(a_freq), points.counts)
    if swap:
        log_r += log_at
        log_r -= log_bt
    if not derivatives:
        return _Tail(log_p, log_r)
    d_log_p = np.empty((4, len(t)))
    np.negative(log_at, out=d_log_p[0])
    np.multiply(k, inv_at, out=d_log_p[1])
    np.negative(d_log_p[1], out=d_log_p[1])
    np.negative(log_bt, out=d_log_p[2])
    np.multiply(inv_bt, -s, out=d_log_p[3])
    # d log R, built in the series' rows: first d log S / d(p, q, z) ...
    inv_s = np.reciprocal(series[0], out=series[0])
    d_p, d_q, d_z = series[1], series[2], series[3]
    d_p *= inv_s
    d_q *= inv_s
    d_z *= inv_s
    # ... then (q = r+s+x+1; p = s+1 if swapped, else r+x) d_r in row 0,
    # d_s in row 2 (over d log S/dq), d_α in row 1 (over d log S/dp) and
    # d_β in row 3 (over d log S/dz); the -log a term gives -1/a to both.
    d_q -= np.repeat(1.0 / a_freq, points.counts)
    d_r, d_alpha, d_s, d_beta = series
    if swap:
        # z = (β-α)/(β+t): dz/dα = -1/(β+t), dz/dβ = (α+t)/(β+t)^2; and
        # log R has log(α+t) - log(β+t) besides.
        np.copyto(d_r, d_q)
        d_s += 1.0 / s
        d_s += d_p
        np.multiply(d_z, inv_bt, out=d_alpha)
        np.subtract(inv_at, d_alpha, out=d_alpha)
        d_beta *= at
        d_beta *= inv_bt
        d_beta -= 1.0
        d_beta *= inv_bt
    else:
        # z = (α-β)/(α+t): dz/dα = (β+t)/(α+t)^2, dz/dβ = -1/(α+t).
        np.add(d_q, d_p, out=d_r)
        d_s += 1.0 / s
        np.multiply(d_z, bt, out=d_alpha)
        d_alpha *= inv_at
        d_alpha *= inv_at
        d_beta *= inv_at
        np.negative(d_beta, out=d_beta)
    return _Tail(log_p, log_r, d_log_p, series)


@dataclass(frozen=True)
class _Rows:
    """The distinct rows laid out once per fit for the likelihood.

    Rows are sorted by x, then T (so the customers without repeat purchases,
    who all share t_x = 0, come first); ``at_t_x`` are the repeat buyers'
    (x, t_x) points, sorted, and ``repeat`` their rows.
    """

    rows: Collapsed
    weight: FloatArray
    at_t: _Points
    at_t_x: _Points
    repeat: IntArray
    n_zero: int

    @classmethod
    def of(cls, rows: Collapsed) -> _Rows:
        x, t_x, big_t = rows.columns
        at_t, order = _Points.of(x, big_t)
        n_zero = int(np.count_nonzero(x == 0))
        repeat = np.arange(n_zero, len(x))
        at_t_x, by_t_x = _Points.of(x[order][repeat], t_x[order][repeat])
        return cls(rows, rows.weight[order], at_t, at_t_x, repeat[by_t_x], n_zero)


# (x, t) = (0, 0): t_x of every customer without repeat purchases.
_ORIGIN = _Points(
    np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1, np.intp), np.ones(1, np.intp)
)


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

    def _data(self, rows: Collapsed) -> _Rows:
        return _Rows.of(rows)

    def _log_likelihood(
        self, params: FloatArray, data: Any
    ) -> tuple[float, FloatArray]:
        r, alpha, s, beta = (float(v) for v in params)
        rows: _Rows = data
        ux, wx = rows.rows.unique_x, rows.rows.weight_x
        value = dot(
            wx,
            special.gammaln(r + ux)
            - special.gammaln(r)
            + r * np.log(alpha)
            + s * np.log(beta),
        )
        grad = np.array(
            [
                dot(wx, special.digamma(r + ux) - special.digamma(r) + np.log(alpha)),
                wx.sum() * r / alpha,
                wx.sum() * np.log(beta),
                wx.sum() * s / beta,
            ]
        )
        # G1 = log P(T) + log(1 - R(T)); R(T) < 1 (see the module docstring).
        at_t = _tail(params, rows.at_t)
        r_minus_1 = np.expm1(at_t.log_r)
        g1 = np.log(-r_minus_1)
        g1 += at_t.log_p
        # G2 = log P(t_x) + log R(t_x); t_x = 0 for all rows without repeats.
        origin = _tail(params, _ORIGIN)
        at_t_x = _tail(params, rows.at_t_x)
        g2 = np.empty(len(g1))
        g2[: rows.n_zero] = (origin.log_p + origin.log_r)[0]
        g2[rows.repeat] = at_t_x.log_p + at_t_x.log_r
        # log L = G1 + log(1 + exp(G2 - G1)), whose gradient weighs that of
        # G1 by 1 - share and that of G2 by share.
        w = rows.weight
        g2 -= g1
        softplus, share = softplus_expit(g2)
        softplus += g1
        value += dot(w, softplus)
        share *= w
        on_g1 = w - share
        # d G1 = d log P(T) - R/(1-R) d log R(T).
        on_r = np.divide(r_minus_1 + 1.0, r_minus_1, out=r_minus_1)
        on_r *= on_g1
        grad += at_t.weighted(on_g1, on_r)
        on_g2 = share[rows.repeat]
        grad += at_t_x.weighted(on_g2, on_g2)
        on_origin = np.full(1, share[: rows.n_zero].sum())
        grad += origin.weighted(on_origin, on_origin)
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
        log_p_t, log_r_t = _tail_at(params, x, big_t)
        log_p_x, log_r_x = _tail_at(params, x, t_x)
        g1 = log_p_t + np.log(-np.expm1(log_r_t))
        g2 = log_p_x + log_r_x
        # A missing input (NaN) stays missing in the result, without a warning.
        with np.errstate(invalid="ignore"):
            log_alive = log_p_t - np.logaddexp(g1, g2)
        return log_alive, x, t_x, big_t

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


def _tail_at(
    params: FloatArray, x: FloatArray, t: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """log P(t) and log R(t) at points in any order (see ``_Tail``)."""
    points, order = _Points.of(x, t)
    found = _tail(params, points, derivatives=False)
    log_p, log_r = np.empty(len(x)), np.empty(len(x))
    log_p[order] = found.log_p
    log_r[order] = found.log_r
    return log_p, log_r


def _power_integral(c: float, u: FloatArray) -> FloatArray:
    """(1 - exp(-c u)) / c, which tends to u as c -> 0."""
    if abs(c) < 1e-12:
        return u
    result: FloatArray = -np.expm1(-c * u) / c
    return result
