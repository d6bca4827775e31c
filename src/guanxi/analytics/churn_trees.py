"""Reference-substitution contributions of the churn classifier, tree by tree.

:meth:`guanxi.analytics.churn.ChurnClassifier.contributions` defines a
feature's contribution as ``score(x) - score(x with feature j := its training
median)``. Done literally, that is one prediction of every customer through
all the trees per feature: 13 features of 580,000 risky customers are
8 million predictions of 100 trees (about 50 CPU seconds measured).

Setting feature ``j`` changes only the trees that split on ``j``; the others
give the same leaf. So the boosting's raw score with ``j`` substituted is the
raw score plus, over the trees that split on ``j`` alone, the difference of
their leaves with and without the substitution — about a fifth of the tree
evaluations —, and only for the customers whose value and the median lie
on two sides of one of those trees' thresholds on ``j``; every other
customer's contribution is exactly zero (at 1M most of them). The calibration (Platt or isotonic) then maps raw scores to
probabilities exactly as the calibrated model does. The results equal the
literal ones up to the order of floating-point additions (differences of
about 1e-16, below the 4 decimals a reason keeps).

This reads scikit-learn's fitted internals (``_predictors``, the tree nodes,
``_predict_iterations``) of ``HistGradientBoostingClassifier`` inside a
``CalibratedClassifierCV(ensemble=False)``; :func:`tree_contributions`
returns ``None`` for any other shape and the caller falls back to the literal
way. A test compares both on a fitted model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["tree_contributions"]

FloatArray = npt.NDArray[np.float64]


def _parts(model: Any) -> tuple[Any, Any] | None:
    """The boosting and the calibrator of a calibrated binary classifier."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier

    if not isinstance(model, CalibratedClassifierCV):
        return None
    fitted = getattr(model, "calibrated_classifiers_", [])
    if len(fitted) != 1 or getattr(fitted[0], "method", None) not in (
        "sigmoid",
        "isotonic",
    ):
        return None
    boosting = fitted[0].estimator
    calibrators = fitted[0].calibrators
    if (
        not isinstance(boosting, HistGradientBoostingClassifier)
        or len(calibrators) != 1
        or getattr(boosting, "n_trees_per_iteration_", 0) != 1
        or getattr(boosting, "is_categorical_", None) is not None
        or not hasattr(boosting, "_predictors")
    ):
        return None
    return boosting, calibrators[0]


def _risk(calibrator: Any, raw: FloatArray) -> FloatArray:
    """The calibrated probability of churn for raw boosting scores, as
    ``CalibratedClassifierCV.predict_proba`` computes its second column."""
    proba: FloatArray = np.asarray(calibrator.predict(raw), dtype=np.float64)
    proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
    return proba


def _splits_on(nodes: Any, column: int) -> npt.NDArray[np.bool_]:
    split: npt.NDArray[np.bool_] = (nodes["feature_idx"] == column) & (
        nodes["is_leaf"] == 0
    )
    return split


def _changed_rows(
    values: FloatArray, reference: float, trees: list[Any], column: int
) -> npt.NDArray[np.bool_]:
    """Rows whose path through some tree changes when the column is set to
    the reference: a threshold on it lies between the value and the
    reference (a row goes left when value <= threshold), or one of the two is
    missing and the other not. The others keep every leaf, so their
    contribution is exactly zero."""
    thresholds = np.unique(
        np.concatenate(
            [
                iteration[0].nodes["num_threshold"][
                    _splits_on(iteration[0].nodes, column)
                ]
                for iteration in trees
            ]
        )
    )
    below = np.searchsorted(thresholds, values, side="left")
    below_reference = np.searchsorted(thresholds, reference, side="left")
    changed: npt.NDArray[np.bool_] = (below != below_reference) | (
        np.isnan(values) != bool(np.isnan(reference))
    )
    return changed


def tree_contributions(
    model: Any, matrix: FloatArray, columns: Sequence[int], reference: Sequence[float]
) -> FloatArray | None:
    """``score(x) - score(x with column c := reference)`` for each column in
    ``columns`` (rows × columns), or ``None`` when ``model`` is not a
    calibrated gradient-boosted classifier this can read."""
    parts = _parts(model)
    if parts is None:
        return None
    boosting, calibrator = parts
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    threads = _openmp_effective_n_threads(None)
    x = np.array(matrix, dtype=np.float64, order="C")
    raw = boosting._raw_predict(x)[:, 0]
    base = _risk(calibrator, raw)
    result = np.zeros((len(x), len(columns)), dtype=np.float64)
    for position, (column, value) in enumerate(zip(columns, reference, strict=True)):
        trees = [
            iteration
            for iteration in boosting._predictors
            if bool(_splits_on(iteration[0].nodes, column).any())
        ]
        if not trees:
            continue
        changed = _changed_rows(x[:, column], value, trees, column)
        if not changed.any():
            continue
        rows = x[changed]
        before = np.zeros((len(rows), 1), dtype=np.float64)
        boosting._predict_iterations(rows, trees, before, False, threads)
        rows[:, column] = value
        after = np.zeros((len(rows), 1), dtype=np.float64)
        boosting._predict_iterations(rows, trees, after, False, threads)
        moved = raw[changed] + (after[:, 0] - before[:, 0])
        result[changed, position] = base[changed] - _risk(calibrator, moved)
    return result
