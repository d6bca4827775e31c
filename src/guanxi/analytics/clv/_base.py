"""Shared machinery of the CLV models: input checks, collapsing, fitting, errors."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize
from threadpoolctl import ThreadpoolController

from guanxi.analytics.clv._optimize import (
    Objective,
    _hessian,
    _inverse_cholesky,
    _Optimum,
    _refine,
    _Remembered,
)
from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.summary import UNIT_NAMES, CustomerSummary

# Above _WARM_START_ABOVE distinct rows, fit() first finds the optimum for
# every _SAMPLE_STEP-th distinct row to within _SAMPLE_TOL (the same way:
# 1,000,000 rows go through 125,000 and 15,625), and goes on from there with
# quasi-Newton steps on all rows.
# Those stop once a step would move no log-parameter by more than _STEP_TOL
# (a relative change of 1e-7), and give way to L-BFGS-B if that has not
# happened after a few steps (see _optimize).
_WARM_START_ABOVE = 100_000
_SAMPLE_STEP = 8
_SAMPLE_TOL = 1e-3
_STEP_TOL = 1e-7
_DISTINCT_SAMPLE = 50_000

__all__ = [
    "CLVModel",
    "Collapsed",
    "as_array",
    "check_columns",
    "collapse",
    "dot",
    "frequency_index",
    "frequency_order",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
ArrayLike = npt.ArrayLike | pd.Series


def dot(a: FloatArray, b: FloatArray) -> float:
    """sum(a * b) of two vectors, in this thread.

    ``a @ b`` hands long vectors to OpenBLAS, which wakes a second thread for
    them: on a busy machine that cost about 8 ms a call whatever the length,
    more than the likelihood's own arithmetic. einsum sums in its own loop.
    """
    return float(np.einsum("i,i->", a, b))


def as_array(values: Any, name: str) -> FloatArray:
    """A float64 numpy array from an array, a Series or a scalar."""
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise AnalyticsInputError(f"{name}: expected numbers") from error
    return array


def check_columns(
    frame: pd.DataFrame, columns: Sequence[str], *, signed: bool = False
) -> dict[str, FloatArray]:
    """The named columns as float64 arrays, each finite and non-negative.

    ``signed`` allows negative ``monetary_value`` (refunds). Problems are
    reported as ``column 'x', row n: ...`` with the 1-based position of the
    first offending row.
    """
    if not isinstance(frame, pd.DataFrame):
        raise AnalyticsInputError(
            f"expected a summary DataFrame, got {type(frame).__name__}"
        )
    found: dict[str, FloatArray] = {}
    for name in columns:
        if name not in frame.columns:
            raise AnalyticsInputError(f"column '{name}' is missing")
        try:
            values = frame[name].to_numpy(np.float64, na_value=np.nan)
        except (TypeError, ValueError) as error:
            raise AnalyticsInputError(
                f"column '{name}' does not hold numbers"
            ) from error
        reject(name, values, ~np.isfinite(values), "not a finite number")
        if not (signed and name == "monetary_value"):
            reject(name, values, values < 0, "negative")
        found[name] = values
    if len(frame) == 0:
        raise AnalyticsInputError("the summary has no customers")
    return found


def check_purchase_columns(frame: pd.DataFrame) -> tuple[FloatArray, ...]:
    """frequency, recency, T of a summary frame, checked for consistency."""
    data = check_columns(frame, ["frequency", "recency", "T"])
    x, t_x, big_t = data["frequency"], data["recency"], data["T"]
    reject("frequency", x, x != np.floor(x), "not a whole number")
    reject("recency", t_x, t_x > big_t, "greater than T", big_t)
    reject("recency", t_x, (x == 0) & (t_x > 0), "positive with frequency 0")
    return x, t_x, big_t


def reject(
    column: str,
    values: FloatArray,
    bad: npt.NDArray[np.bool_],
    what: str,
    other: FloatArray | None = None,
) -> None:
    if not bool(bad.any()):
        return
    row = int(np.flatnonzero(bad)[0])
    shown = f"{float(values[row])!r}"
    if other is not None:
        shown += f" > {float(other[row])!r}"
    raise AnalyticsInputError(f"column '{column}', row {row + 1}: {what} ({shown})")


def softplus_expit(d: FloatArray) -> tuple[FloatArray, FloatArray]:
    """log(1 + exp(d)) and 1 / (1 + exp(-d)), sharing one exponential.

    log(1 + e) for e = exp(-|d|) in (0, 1] is off by at most 1.1e-16 in
    absolute terms, and twice as fast as log1p.
    """
    e = np.exp(-np.abs(d))
    one_plus = e + 1.0
    softplus = np.log(one_plus)
    softplus += np.maximum(d, 0.0)
    expit = np.where(d >= 0, 1.0, e)
    expit /= one_plus
    return softplus, expit


@functools.cache
def _blas_threads() -> Any:
    """The BLAS libraries' thread pools (found once: that takes milliseconds)."""
    return ThreadpoolController()


@dataclass(frozen=True)
class Collapsed:
    """Distinct rows with their weights, and the distinct frequencies.

    ``weight_x`` is the total weight of each distinct frequency.
    """

    columns: tuple[FloatArray, ...]
    weight: FloatArray
    unique_x: FloatArray
    weight_x: FloatArray

    def subset(self, rows: IntArray) -> Collapsed:
        """The selected distinct rows, with their weights."""
        return _with_frequencies(
            tuple(c[rows] for c in self.columns), self.weight[rows]
        )


def frequency_order(x: FloatArray, within: FloatArray | None = None) -> IntArray:
    """Positions that sort rows by frequency x, then ``within``.

    Whole frequencies below 2**15 are sorted as int16, for which numpy's
    stable sort is a radix sort.
    """
    order = np.argsort(within) if within is not None else np.arange(len(x))
    keys = x[order]
    with np.errstate(invalid="ignore"):
        small = keys.astype(np.int16)
    result: IntArray = order[
        np.argsort(small if np.array_equal(small, keys) else keys, kind="stable")
    ]
    return result


def collapse(*columns: FloatArray) -> Collapsed:
    """Collapse identical rows (the first column is the frequency) into weights.

    When the last column (T) is nearly all distinct there is little to
    collapse and the rows are kept as they are, which saves a sort. That is
    judged on an evenly spaced sample of _DISTINCT_SAMPLE values: only the
    speed depends on it, never the result.
    """
    size = len(columns[0])
    sample = columns[-1][:: max(1, size // _DISTINCT_SAMPLE)]
    if len(pd.unique(sample)) > len(sample) // 2:
        distinct = tuple(np.ascontiguousarray(c, dtype=np.float64) for c in columns)
        weight = np.ones(size)
    else:
        order = np.lexsort(columns[::-1])
        ordered = [c[order] for c in columns]
        starts = np.ones(size, dtype=bool)
        starts[1:] = np.any([c[1:] != c[:-1] for c in ordered], axis=0)
        first = np.flatnonzero(starts)
        distinct = tuple(c[first] for c in ordered)
        weight = np.diff(np.append(first, size)).astype(np.float64)
    return _with_frequencies(distinct, weight)


def _with_frequencies(
    distinct: tuple[FloatArray, ...], weight: FloatArray
) -> Collapsed:
    unique_x, inverse = frequency_index(distinct[0])
    weight_x = np.asarray(
        np.bincount(inverse, weights=weight, minlength=len(unique_x)), dtype=np.float64
    )
    return Collapsed(distinct, weight, unique_x, weight_x)


def frequency_index(x: FloatArray) -> tuple[FloatArray, IntArray]:
    """The distinct values of x, and where each element of x is among them.

    Counts (no sort) when x holds whole numbers in a modest range, as
    frequencies do; otherwise np.unique.
    """
    if len(x):
        with np.errstate(invalid="ignore"):  # NaN and inf: not whole, see below
            whole = x.astype(np.int64)
        low, high = int(whole.min()), int(whole.max())
        if low >= 0 and high <= 10 * len(x) + 1000 and np.array_equal(whole, x):
            present = np.bincount(whole) > 0
            inverse: IntArray = (np.cumsum(present) - 1)[whole].astype(
                np.intp, copy=False
            )
            return np.flatnonzero(present).astype(np.float64), inverse
    unique_x, inverse = np.unique(x, return_inverse=True)
    return unique_x, inverse.astype(np.intp, copy=False)


class CLVModel(ABC):
    """Base of the maximum-likelihood CLV models (scikit-learn shaped).

    ``penalizer`` adds ``penalizer * sum(params ** 2)`` to the mean negative
    log-likelihood (as in ``lifetimes``). Parameters are optimised in logs
    with L-BFGS-B (``tol`` is its ``ftol``) and analytic gradients from a
    deterministic start; above 100,000 distinct rows, on a sample first and
    then by quasi-Newton steps on all rows (see ``_optimum``). ``n_iter_``
    counts the iterations over all rows. ``time_unit_`` is the unit of the
    :class:`~guanxi.analytics.summary.CustomerSummary` fitted on (None for a
    plain frame).
    """

    param_names: ClassVar[tuple[str, ...]]

    params_: dict[str, float]
    log_likelihood_: float
    n_customers_: int
    n_iter_: int
    time_unit_: str | None

    def __init__(self, *, penalizer: float = 0.0, tol: float = 1e-12) -> None:
        self.penalizer = penalizer
        self.tol = tol

    # -- to implement -------------------------------------------------------
    @abstractmethod
    def _prepare(self, frame: pd.DataFrame) -> Collapsed:
        """Checked, collapsed data for the likelihood."""

    @abstractmethod
    def _data(self, rows: Collapsed) -> Any:
        """What the likelihood needs of the distinct rows (with ``.rows``)."""

    @abstractmethod
    def _start(self, data: Any) -> FloatArray:
        """Deterministic starting parameters (natural scale)."""

    @abstractmethod
    def _log_likelihood(
        self, params: FloatArray, data: Any
    ) -> tuple[float, FloatArray]:
        """Total (weighted) log-likelihood and its gradient in ``params``."""

    # -- fitting ------------------------------------------------------------
    def fit(self, summary: CustomerSummary | pd.DataFrame) -> Self:
        """Fit by maximum likelihood to a summary; returns ``self``."""
        if not np.isfinite(self.penalizer) or self.penalizer < 0:
            raise AnalyticsInputError(
                f"penalizer: must be a number >= 0, got {self.penalizer!r}"
            )
        unit = summary.time_unit if isinstance(summary, CustomerSummary) else None
        frame = summary.frame if isinstance(summary, CustomerSummary) else summary
        rows = self._prepare(frame)
        # One BLAS thread: L-BFGS-B's small BLAS calls otherwise wake a second
        # OpenBLAS thread each time, which on a busy machine cost more than
        # the rest of its work (0.3 s instead of 0.01 s for 40 iterations).
        with _blas_threads().limit(limits=1, user_api="blas"):
            self._fit_rows(rows)
        self.time_unit_ = unit
        return self

    def _fit_rows(self, rows: Collapsed) -> None:
        data = self._data(rows)
        objective = _Remembered(self._objective(data))
        found = self._optimum(rows, objective, np.log(self._start(data)), _STEP_TOL)
        params = np.exp(found.theta)
        value = objective.value_at(found.theta)
        if value is None:
            value, _ = self._log_likelihood(params, data)
        self.params_ = dict(zip(self.param_names, map(float, params), strict=True))
        self.log_likelihood_ = float(value)
        self.n_customers_ = round(float(rows.weight.sum()))
        self.n_iter_ = found.iterations
        self._fit_data = data
        self._errors: dict[str, float] | None = None

    def _optimum(
        self, rows: Collapsed, objective: Objective, theta: FloatArray, tol: float
    ) -> _Optimum:
        """The minimum of ``objective`` (over ``rows``) from ``theta``.

        Up to _WARM_START_ABOVE distinct rows by L-BFGS-B; above, from the
        optimum of an evenly spaced sample of them, by quasi-Newton steps on
        all rows that start from the sample's curvature and so need only a
        few passes over the full data. ``iterations`` counts those on all rows.
        """
        distinct = len(rows.weight)
        scale = np.eye(len(theta))
        if distinct > _WARM_START_ABOVE:
            sample_rows = rows.subset(np.arange(0, distinct, _SAMPLE_STEP))
            sample = self._objective(self._data(sample_rows))
            warm = self._optimum(sample_rows, sample, theta, _SAMPLE_TOL)
            curvature = warm.curvature
            if curvature is None:
                curvature = _hessian(sample, warm.theta, warm.gradient)
            refined = _refine(objective, warm.theta, curvature, tol)
            if refined is not None:
                return refined
            theta, scale = warm.theta, _inverse_cholesky(curvature)
        result = self._minimise(objective, theta, scale)
        return _Optimum(result.x, int(result.nit), np.asarray(result.jac, np.float64))

    @property
    def standard_errors_(self) -> dict[str, float]:
        """Standard errors of ``params_`` from the Hessian (computed on first use)."""
        self._fitted()
        if self._errors is None:
            self._errors = self._standard_errors(self._fitted(), self._fit_data)
        return self._errors

    def _objective(self, data: Any) -> Objective:
        """Mean negative log-likelihood (+ penalty) in log-parameters, with gradient.

        The objective also returns the log-likelihood itself, so that fit()
        need not evaluate it again at the optimum.
        """
        total = float(data.rows.weight.sum())
        penalizer = float(self.penalizer)

        def objective(theta: FloatArray) -> tuple[float, FloatArray, float]:
            params = np.exp(theta)
            value, gradient = self._log_likelihood(params, data)
            loss = -value / total + penalizer * float(np.sum(params**2))
            grad = (-gradient / total + 2.0 * penalizer * params) * params
            if not np.isfinite(loss) or not bool(np.all(np.isfinite(grad))):
                return float(np.inf), np.zeros_like(theta), float(value)
            return loss, grad, float(value)

        return objective

    def _minimise(
        self, objective: Objective, theta0: FloatArray, scale: FloatArray
    ) -> Any:
        """L-BFGS-B over u, where theta = theta0 + scale @ u (u starts at 0).

        ``result.jac`` is the gradient in theta.
        """

        def scaled(u: FloatArray) -> tuple[float, FloatArray]:
            theta = theta0 + scale @ u
            if bool(np.any(np.abs(theta) > 30.0)):
                return float(np.inf), np.zeros_like(u)
            loss, grad, _ = objective(theta)
            return loss, scale.T @ grad

        result = optimize.minimize(
            scaled,
            np.zeros_like(theta0),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 2000, "ftol": self.tol, "gtol": 1e-9},
        )
        result.x = theta0 + scale @ result.x
        result.jac = np.linalg.solve(scale.T, result.jac)
        return result

    def _standard_errors(self, params: FloatArray, data: Any) -> dict[str, float]:
        """Square roots of the diagonal of the inverse observed information.

        The Hessian of the log-likelihood is the central difference of the
        analytic gradient.
        """
        k = len(params)
        hessian = np.empty((k, k))
        for j in range(k):
            step = 1e-5 * params[j]
            up, down = params.copy(), params.copy()
            up[j] += step
            down[j] -= step
            hessian[:, j] = (
                self._log_likelihood(up, data)[1] - self._log_likelihood(down, data)[1]
            ) / (2 * step)
        hessian = (hessian + hessian.T) / 2
        try:
            covariance = np.linalg.inv(-hessian)
            variances = np.diag(covariance)
        except np.linalg.LinAlgError:
            variances = np.full(k, np.nan)
        errors = np.sqrt(np.where(variances > 0, variances, np.nan))
        return dict(zip(self.param_names, map(float, errors), strict=True))

    # -- helpers for subclasses -------------------------------------------
    def _fitted(self) -> FloatArray:
        params: Mapping[str, float] | None = getattr(self, "params_", None)
        if params is None:
            raise AnalyticsInputError(
                f"{type(self).__name__} is not fitted: call fit first"
            )
        return np.array([params[name] for name in self.param_names])

    def __repr__(self) -> str:
        if hasattr(self, "params_"):
            shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
            return f"{type(self).__name__}({shown})"
        return f"{type(self).__name__}(penalizer={self.penalizer!r})"


class PurchaseModel(CLVModel):
    """A purchase-count model (BG/NBD, Pareto/NBD) with its predictions."""

    @abstractmethod
    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """E[purchases in (T, T + t] | x, t_x, T]."""

    @abstractmethod
    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """P(customer still active at T | x, t_x, T)."""

    @abstractmethod
    def expected_purchases_new_customer(self, t: ArrayLike) -> FloatArray:
        """E[purchases in (0, t]] of a newly acquired customer."""

    def clv(
        self,
        gamma_gamma: Any,
        summary: CustomerSummary,
        *,
        months: int = 12,
        discount_rate: float = 0.01,
        days_per_month: float = 30.0,
    ) -> FloatArray:
        """Discounted value of each customer's purchases over ``months`` months.

        ``sum_k E[M] * (E[X(k u)] - E[X((k-1) u)]) / (1 + discount_rate) ** k``
        for k = 1..months, where ``u`` is a month of ``days_per_month`` days
        in the summary's time unit (30 days; lifetimes' months of weeks are
        4.345 weeks, ``days_per_month=30.415``) and E[M] is ``gamma_gamma``'s
        expected average value — the same definition as ``lifetimes``.
        The summary says its unit, so the month cannot be given in another
        one; a summary in another unit than either model was fitted on is
        refused. Vectorised over customers; the loop runs over the months.
        """
        if not isinstance(summary, CustomerSummary):
            raise AnalyticsInputError(
                "summary: expected a CustomerSummary (it carries the time unit), "
                f"got {type(summary).__name__}"
            )
        for model in (self, gamma_gamma):
            fitted = getattr(model, "time_unit_", None)
            if fitted is not None and fitted != summary.time_unit:
                raise AnalyticsInputError(
                    f"summary: durations in {UNIT_NAMES[summary.time_unit]}, but "
                    f"{type(model).__name__} was fitted on durations in "
                    f"{UNIT_NAMES[fitted]}"
                )
        if int(months) != months or months < 1:
            raise AnalyticsInputError(
                f"months: must be a whole number >= 1, got {months!r}"
            )
        if not np.isfinite(discount_rate) or discount_rate <= -1:
            raise AnalyticsInputError(
                f"discount_rate: must be a number > -1, got {discount_rate!r}"
            )
        if not np.isfinite(days_per_month) or days_per_month <= 0:
            raise AnalyticsInputError(
                f"days_per_month: must be a number > 0, got {days_per_month!r}"
            )
        columns = check_columns(
            summary.frame, ["frequency", "recency", "T", "monetary_value"], signed=True
        )
        x, t_x, big_t = columns["frequency"], columns["recency"], columns["T"]
        value = gamma_gamma.expected_average_value(x, columns["monetary_value"])
        periods = np.arange(1, int(months) + 1, dtype=np.float64)
        unit = float(days_per_month) / summary.days_per_unit
        times = np.asarray(periods * unit, dtype=np.float64)
        discounts = np.asarray(
            (1.0 + float(discount_rate)) ** -periods, dtype=np.float64
        )
        total = self._discounted_purchases(times, discounts, x, t_x, big_t)
        result: FloatArray = value * total
        return result

    def _discounted_purchases(
        self,
        times: FloatArray,
        discounts: FloatArray,
        x: FloatArray,
        t_x: FloatArray,
        big_t: FloatArray,
    ) -> FloatArray:
        """sum_k discounts[k] * (E[X(times[k])] - E[X(times[k-1])]), E[X(0)] = 0."""
        total = np.zeros(x.shape)
        previous = np.zeros(x.shape)
        for time, discount in zip(times, discounts, strict=True):
            current = self.expected_purchases(time, x, t_x, big_t)
            total += discount * (current - previous)
            previous = current
        return total
