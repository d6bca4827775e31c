"""Quasi-Newton refinement of a CLV fit from a warm start (used by ``_base``).

A fit above 100,000 distinct rows starts from the optimum of a sample and
goes on with BFGS steps on all rows, each one evaluation of the objective;
these are those steps and what they need (curvature by finite differences of
the analytic gradient, an objective that remembers its log-likelihoods).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Objective"]

FloatArray = npt.NDArray[np.float64]

#: BFGS steps on all rows before giving way to L-BFGS-B.
_REFINE_ITERATIONS = 30


Objective = Callable[[FloatArray], tuple[float, FloatArray, float]]
"""theta -> (loss, gradient of the loss in theta, log-likelihood)."""


class _Remembered:
    """An objective that remembers the log-likelihood of its last evaluations."""

    def __init__(self, objective: Objective) -> None:
        self._objective = objective
        self._values: dict[bytes, float] = {}

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray, float]:
        loss, grad, value = self._objective(theta)
        if len(self._values) > 64:
            self._values.clear()
        self._values[np.asarray(theta, dtype=np.float64).tobytes()] = value
        return loss, grad, value

    def value_at(self, theta: FloatArray) -> float | None:
        return self._values.get(np.asarray(theta, dtype=np.float64).tobytes())


def _hessian(objective: Objective, theta: FloatArray, grad: FloatArray) -> FloatArray:
    """Forward differences of the analytic gradient at theta (symmetrised).

    Only used as the starting curvature of quasi-Newton steps (or as a
    preconditioner), where a relative error of 1e-5 does not matter.
    """
    k = len(theta)
    hessian = np.empty((k, k))
    for j in range(k):
        step = np.zeros(k)
        step[j] = 1e-5
        hessian[:, j] = (objective(theta + step)[1] - grad) / 1e-5
    result: FloatArray = (hessian + hessian.T) / 2
    return result


def _inverse_cholesky(hessian: FloatArray) -> FloatArray:
    """Inverse transposed Cholesky factor of a Hessian (or I if not positive)."""
    try:
        lower = np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return np.eye(len(hessian))
    inverse: FloatArray = np.linalg.inv(lower).T
    return inverse


@dataclass(frozen=True)
class _Optimum:
    """A (near) minimum in log-parameters: where, after how many iterations,
    the gradient there and, when known, the curvature (quasi-Newton's)."""

    theta: FloatArray
    iterations: int
    gradient: FloatArray
    curvature: FloatArray | None = None


def _refine(
    objective: Objective, theta: FloatArray, hessian: FloatArray, tol: float
) -> _Optimum | None:
    """Quasi-Newton (BFGS) steps from theta, starting from ``hessian``.

    Each iteration is one evaluation of the objective; a step that does not
    decrease it is halved (Armijo). Returns the last evaluated point once the
    next step would move no coordinate by more than ``tol``, or None if that
    does not happen (a Hessian that is not positive definite, no decrease,
    or _REFINE_ITERATIONS reached).
    """
    loss, grad, _ = objective(theta)
    if not np.isfinite(loss):
        return None
    curvature = hessian.copy()
    for iteration in range(_REFINE_ITERATIONS):
        try:
            step = -np.linalg.solve(curvature, grad)
        except np.linalg.LinAlgError:
            return None
        if float(np.max(np.abs(step))) <= tol:
            return _Optimum(theta, iteration, grad, curvature)
        slope = float(grad @ step)
        if not slope < 0:
            return None
        # Allow for rounding in a sum over many rows when steps are tiny.
        slack = 1e-13 * (1.0 + abs(loss))
        for _ in range(20):
            new = theta + step
            new_loss, new_grad, _ = objective(new)
            if new_loss <= loss + 1e-4 * slope + slack:
                break
            step /= 2.0
            slope /= 2.0
        else:
            return None
        change = new_grad - grad
        along = float(step @ change)
        if along > 0:
            pushed = curvature @ step
            curvature += np.outer(change, change) / along - np.outer(
                pushed, pushed
            ) / float(step @ pushed)
        theta, loss, grad = new, new_loss, new_grad
    return None
