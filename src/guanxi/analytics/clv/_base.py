"""Shared machinery of the CLV models: input checks, collapsing, fitting, errors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize

from guanxi.analytics.errors import AnalyticsInputError

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
    shown = f"{values[row]!r}" if other is None else f"{values[row]!r} > {other[row]!r}"
    raise AnalyticsInputError(f"column '{column}', row {row + 1}: {what} ({shown})")


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

    def per_x_sum(self, values: FloatArray, rows: npt.NDArray[np.intp]) -> FloatArray:
        """Sum of ``values`` (one per selected row) per distinct frequency."""
        sums = np.bincount(
            self.inverse[rows], weights=values, minlength=len(self.unique_x)
        )
        return np.asarray(sums, dtype=np.float64)


def collapse(*columns: FloatArray) -> Collapsed:
    """Collapse identical rows (first column is the frequency) into weights."""
    frame = pd.DataFrame({str(i): column for i, column in enumerate(columns)})
    counts = frame.groupby(list(frame.columns), sort=True).size()
    weight = np.asarray(counts.to_numpy(), dtype=np.float64)
    index = counts.index
    if isinstance(index, pd.MultiIndex):
        distinct = tuple(
            index.get_level_values(i).to_numpy(np.float64) for i in range(len(columns))
        )
    else:
        distinct = (index.to_numpy(np.float64),)
    unique_x, inverse = np.unique(distinct[0], return_inverse=True)
    weight_x = np.asarray(
        np.bincount(inverse, weights=weight, minlength=len(unique_x)), dtype=np.float64
    )
    return Collapsed(distinct, weight, unique_x, inverse, weight_x)


class CLVModel(ABC):
    """Base of the maximum-likelihood CLV models (scikit-learn shaped).

    ``penalizer`` adds ``penalizer * sum(params ** 2)`` to the mean negative
    log-likelihood (as in ``lifetimes``). Parameters are optimised in logs
    with L-BFGS-B and analytic gradients from a deterministic start.
    """

    param_names: ClassVar[tuple[str, ...]]

    params_: dict[str, float]
    log_likelihood_: float
    standard_errors_: dict[str, float]
    n_customers_: int
    n_iter_: int

    def __init__(self, *, penalizer: float = 0.0, tol: float = 1e-12) -> None:
        self.penalizer = penalizer
        self.tol = tol

    # -- to implement -------------------------------------------------------
    @abstractmethod
    def _prepare(self, frame: pd.DataFrame) -> Any:
        """Checked, collapsed data for the likelihood."""

    @abstractmethod
    def _start(self, data: Any) -> FloatArray:
        """Deterministic starting parameters (natural scale)."""

    @abstractmethod
    def _log_likelihood(
        self, params: FloatArray, data: Any
    ) -> tuple[float, FloatArray]:
        """Total (weighted) log-likelihood and its gradient in ``params``."""

    @abstractmethod
    def _n_customers(self, data: Any) -> int:
        """Number of customers the data stand for."""

    # -- fitting ------------------------------------------------------------
    def fit(self, summary: pd.DataFrame) -> CLVModel:
        """Fit by maximum likelihood to a summary frame; returns ``self``."""
        if not np.isfinite(self.penalizer) or self.penalizer < 0:
            raise AnalyticsInputError(
                f"penalizer: must be a number >= 0, got {self.penalizer!r}"
            )
        data = self._prepare(summary)
        total = float(self._n_customers(data))
        penalizer = float(self.penalizer)

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            params = np.exp(theta)
            value, gradient = self._log_likelihood(params, data)
            loss = -value / total + penalizer * float(np.sum(params**2))
            grad = (-gradient / total + 2.0 * penalizer * params) * params
            if not np.isfinite(loss):
                return float(np.inf), np.zeros_like(theta)
            return loss, grad

        theta0 = np.log(self._start(data))
        result = optimize.minimize(
            objective,
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-30.0, 30.0)] * len(theta0),
            options={"maxiter": 2000, "ftol": self.tol, "gtol": 1e-9},
        )
        params = np.exp(result.x)
        value, _ = self._log_likelihood(params, data)
        self.params_ = dict(zip(self.param_names, map(float, params), strict=True))
        self.log_likelihood_ = float(value)
        self.n_customers_ = int(total)
        self.n_iter_ = int(result.nit)
        self.standard_errors_ = self._standard_errors(params, data)
        return self

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
        total = np.zeros(np.broadcast(x, t_x, big_t).shape)
        previous = np.zeros_like(total)
        for k in range(1, int(horizon) + 1):
            current = self.expected_purchases(k * time_unit_per_period, x, t_x, big_t)
            total += (current - previous) / (1.0 + discount_rate) ** k
            previous = current
        result: FloatArray = value * total
        return result
