"""Shared machinery of the CLV models: input checks, collapsing, fitting, errors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize

from guanxi.analytics.errors import AnalyticsInputError

_WARM_START_ROWS = 100_000

__all__ = ["CLVModel", "Collapsed", "as_array", "check_columns", "collapse"]

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike | pd.Series


def as_array(values: Any, name: str) -> FloatArray:
    """A float64 numpy array from an array, a Series or a scalar."""
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise AnalyticsInputError(f"{name}: expected numbers") from error
    return array


def check_columns(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, FloatArray]:
    """The named columns as float64 arrays, each finite and non-negative.

    Problems are reported as ``column 'x', row n: ...`` with the 1-based
    position of the first offending row.
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
    """log(1 + exp(d)) and 1 / (1 + exp(-d)), sharing one exponential."""
    e = np.exp(-np.abs(d))
    one_plus = 1.0 + e
    softplus = np.maximum(d, 0.0) + np.log1p(e)
    expit = np.where(d >= 0, 1.0, e) / one_plus
    return softplus, expit


@dataclass(frozen=True)
class Collapsed:
    """Distinct rows with their weights, and the distinct frequencies.

    ``inverse`` maps each distinct row to its frequency in ``unique_x``;
    ``weight_x`` is the total weight of each distinct frequency.
    """

    columns: tuple[FloatArray, ...]
    weight: FloatArray
    unique_x: FloatArray
    inverse: npt.NDArray[np.intp]
    weight_x: FloatArray

    def subset(self, rows: npt.NDArray[np.intp]) -> Collapsed:
        """The selected distinct rows, with their weights."""
        return _with_frequencies(
            tuple(c[rows] for c in self.columns), self.weight[rows]
        )

    def per_x_sum(self, values: FloatArray, rows: npt.NDArray[np.intp]) -> FloatArray:
        """Sum of ``values`` (one per selected row) per distinct frequency."""
        sums = np.bincount(
            self.inverse[rows], weights=values, minlength=len(self.unique_x)
        )
        return np.asarray(sums, dtype=np.float64)


def collapse(*columns: FloatArray) -> Collapsed:
    """Collapse identical rows (the first column is the frequency) into weights.

    When the last column (T) is nearly all distinct there is little to
    collapse and the rows are kept as they are, which saves a sort.
    """
    size = len(columns[0])
    if len(pd.unique(columns[-1])) > size // 2:
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
    x = distinct[0]
    whole = x.astype(np.int64)
    if len(whole) and int(whole.max()) <= 10 * len(whole) + 1000:
        present = np.bincount(whole) > 0
        unique_x = np.flatnonzero(present).astype(np.float64)
        inverse = (np.cumsum(present) - 1)[whole].astype(np.intp)
    else:
        unique_x, inverse = np.unique(x, return_inverse=True)
    weight_x = np.asarray(
        np.bincount(inverse, weights=weight, minlength=len(unique_x)), dtype=np.float64
    )
    return Collapsed(distinct, weight, unique_x, inverse, weight_x)


@dataclass(frozen=True)
class Split:
    """Distinct rows split into those without (``zero``) and with repeat purchases."""

    rows: Collapsed
    zero: npt.NDArray[np.intp]
    repeat: npt.NDArray[np.intp]

    @classmethod
    def of(cls, rows: Collapsed) -> Split:
        x = rows.columns[0]
        return cls(rows, np.flatnonzero(x == 0), np.flatnonzero(x > 0))


class CLVModel(ABC):
    """Base of the maximum-likelihood CLV models (scikit-learn shaped).

    ``penalizer`` adds ``penalizer * sum(params ** 2)`` to the mean negative
    log-likelihood (as in ``lifetimes``). Parameters are optimised in logs
    with L-BFGS-B and analytic gradients from a deterministic start.
    """

    param_names: ClassVar[tuple[str, ...]]

    params_: dict[str, float]
    log_likelihood_: float
    n_customers_: int
    n_iter_: int

    def __init__(self, *, penalizer: float = 0.0, tol: float = 1e-12) -> None:
        self.penalizer = penalizer
        self.tol = tol

    # -- to implement -------------------------------------------------------
    @abstractmethod
    def _prepare(self, frame: pd.DataFrame) -> Collapsed:
        """Checked, collapsed data for the likelihood."""

    def _data(self, rows: Collapsed) -> Any:
        """What the likelihood needs of the distinct rows."""
        return Split.of(rows)

    @abstractmethod
    def _start(self, data: Any) -> FloatArray:
        """Deterministic starting parameters (natural scale)."""

    @abstractmethod
    def _log_likelihood(
        self, params: FloatArray, data: Any
    ) -> tuple[float, FloatArray]:
        """Total (weighted) log-likelihood and its gradient in ``params``."""

    # -- fitting ------------------------------------------------------------
    def fit(self, summary: pd.DataFrame) -> CLVModel:
        """Fit by maximum likelihood to a summary frame; returns ``self``."""
        if not np.isfinite(self.penalizer) or self.penalizer < 0:
            raise AnalyticsInputError(
                f"penalizer: must be a number >= 0, got {self.penalizer!r}"
            )
        rows = self._prepare(summary)
        data = self._data(rows)
        total = float(rows.weight.sum())
        theta = np.log(self._start(data))
        scale = np.eye(len(theta))
        distinct = len(rows.weight)
        if distinct > 4 * _WARM_START_ROWS:
            # Fit an evenly spaced sample of the distinct rows first, and use
            # its curvature to precondition the fit to all rows, which then
            # needs only a few iterations over the full data.
            step = distinct // _WARM_START_ROWS
            sample = self._data(rows.subset(np.arange(0, distinct, step)))
            theta = self._minimise(sample, theta, scale).x
            scale = self._preconditioner(sample, theta)
        result = self._minimise(data, theta, scale)
        params = np.exp(result.x)
        value, _ = self._log_likelihood(params, data)
        self.params_ = dict(zip(self.param_names, map(float, params), strict=True))
        self.log_likelihood_ = float(value)
        self.n_customers_ = round(total)
        self.n_iter_ = int(result.nit)
        self._fit_data = data
        self._errors: dict[str, float] | None = None
        return self

    @property
    def standard_errors_(self) -> dict[str, float]:
        """Standard errors of ``params_`` from the Hessian (computed on first use)."""
        self._fitted()
        if self._errors is None:
            self._errors = self._standard_errors(self._fitted(), self._fit_data)
        return self._errors

    def _objective(self, data: Any) -> Callable[[FloatArray], tuple[float, FloatArray]]:
        """Mean negative log-likelihood (+ penalty) in log-parameters, with gradient."""
        total = float(data.rows.weight.sum())
        penalizer = float(self.penalizer)

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            params = np.exp(theta)
            value, gradient = self._log_likelihood(params, data)
            loss = -value / total + penalizer * float(np.sum(params**2))
            grad = (-gradient / total + 2.0 * penalizer * params) * params
            if not np.isfinite(loss) or not bool(np.all(np.isfinite(grad))):
                return float(np.inf), np.zeros_like(theta)
            return loss, grad

        return objective

    def _minimise(self, data: Any, theta0: FloatArray, scale: FloatArray) -> Any:
        """L-BFGS-B over u, where theta = theta0 + scale @ u (u starts at 0)."""
        objective = self._objective(data)

        def scaled(u: FloatArray) -> tuple[float, FloatArray]:
            theta = theta0 + scale @ u
            if bool(np.any(np.abs(theta) > 30.0)):
                return float(np.inf), np.zeros_like(u)
            loss, grad = objective(theta)
            return loss, scale.T @ grad

        result = optimize.minimize(
            scaled,
            np.zeros_like(theta0),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 2000, "ftol": self.tol, "gtol": 1e-9},
        )
        result.x = theta0 + scale @ result.x
        return result

    def _preconditioner(self, data: Any, theta: FloatArray) -> FloatArray:
        """Inverse Cholesky factor of the objective's Hessian at theta (or I)."""
        objective = self._objective(data)
        k = len(theta)
        hessian = np.empty((k, k))
        for j in range(k):
            step = np.zeros(k)
            step[j] = 1e-4
            hessian[:, j] = (
                objective(theta + step)[1] - objective(theta - step)[1]
            ) / 2e-4
        try:
            lower = np.linalg.cholesky((hessian + hessian.T) / 2)
        except np.linalg.LinAlgError:
            return np.eye(k)
        inverse: FloatArray = np.linalg.inv(lower).T
        return inverse

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
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        monetary_value: ArrayLike,
        *,
        horizon: int = 12,
        discount_rate: float = 0.01,
        time_unit_per_period: float = 30.0,
    ) -> FloatArray:
        """Discounted value of each customer's purchases over ``horizon`` periods.

        ``sum_k E[M] * (E[X(k u)] - E[X((k-1) u)]) / (1 + discount_rate) ** k``
        for k = 1..horizon, where ``u = time_unit_per_period`` is the length
        of a period in the summary's time unit (30 for months of days, 4.345
        for months of weeks) and E[M] is ``gamma_gamma``'s expected average
        value — the same definition as ``lifetimes``. Vectorised over
        customers; the loop runs over the periods only.
        """
        if int(horizon) != horizon or horizon < 1:
            raise AnalyticsInputError(
                f"horizon: must be a whole number >= 1, got {horizon!r}"
            )
        if not np.isfinite(discount_rate) or discount_rate <= -1:
            raise AnalyticsInputError(
                f"discount_rate: must be a number > -1, got {discount_rate!r}"
            )
        if not np.isfinite(time_unit_per_period) or time_unit_per_period <= 0:
            raise AnalyticsInputError(
                "time_unit_per_period: must be a number > 0, "
                f"got {time_unit_per_period!r}"
            )
        x = as_array(frequency, "frequency")
        t_x = as_array(recency, "recency")
        big_t = as_array(T, "T")
        value = gamma_gamma.expected_average_value(x, monetary_value)
        periods = np.arange(1, int(horizon) + 1, dtype=np.float64)
        times = np.asarray(periods * float(time_unit_per_period), dtype=np.float64)
        discounts = np.asarray(
            (1.0 + float(discount_rate)) ** -periods, dtype=np.float64
        )
        x, t_x, big_t = np.broadcast_arrays(x, t_x, big_t)
        total = self._discounted_purchases(times, discounts, x, t_x, big_t)
        result: FloatArray = value * total.reshape(x.shape)
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
