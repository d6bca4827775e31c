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

__all__ = ["tree_contributions", "tree_risk_contributions"]

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


def _thresholds(trees: list[Any], column: int) -> FloatArray:
    """The sorted distinct thresholds on ``column`` of ``trees``."""
    found: FloatArray = np.unique(
        np.concatenate(
            [
                iteration[0].nodes["num_threshold"][
                    _splits_on(iteration[0].nodes, column)
                ]
                for iteration in trees
            ]
        )
    )
    return found


def _crossing(
    values: FloatArray, reference: float, thresholds: FloatArray
) -> npt.NDArray[np.bool_]:
    """Rows whose path through trees with these thresholds on the column may
    change when it is set to the reference: a threshold lies between the
    value and the reference (a row goes left when value <= threshold), or one
    of the two is missing and the other not. The others keep every leaf."""
    below = np.searchsorted(thresholds, values, side="left")
    below_reference = np.searchsorted(thresholds, reference, side="left")
    changed: npt.NDArray[np.bool_] = (below != below_reference) | (
        np.isnan(values) != bool(np.isnan(reference))
    )
    return changed


#: Rows per block: each block keeps every tree's value of its rows
#: (65,536 rows × 100 trees × 8 bytes = 52 MB).
BLOCK_ROWS = 65_536


def tree_contributions(
    model: Any, matrix: FloatArray, columns: Sequence[int], reference: Sequence[float]
) -> FloatArray | None:
    """``score(x) - score(x with column c := reference)`` for each column in
    ``columns`` (rows × columns), or ``None`` when ``model`` is not a
    calibrated gradient-boosted classifier this can read."""
    found = tree_risk_contributions(model, matrix, columns, reference)
    return None if found is None else found[2]


def tree_risk_contributions(
    model: Any,
    matrix: FloatArray,
    columns: Sequence[int],
    reference: Sequence[float],
    from_risk: float | None = None,
) -> tuple[FloatArray, npt.NDArray[np.bool_], FloatArray] | None:
    """Every row's risk (``model.predict_proba(matrix)[:, 1]``, the same
    numbers), which rows have a risk of at least ``from_risk`` (every row
    when ``None``), and the contributions of those rows (in their order) as
    :func:`tree_contributions` gives them — one pass through the trees for
    both; or ``None`` when ``model`` is not a calibrated gradient-boosted
    classifier this can read.

    By blocks of rows: every tree's value of each row is predicted once; the
    raw score is their sum, and a substitution re-predicts a tree only for
    the rows whose path through that tree crosses one of its thresholds on
    the column (every other row keeps its leaf, so its value is reused). The
    sums are made tree by tree in the boosting's order, as scikit-learn makes
    them, so the raw scores are the same numbers to the last bit."""
    parts = _parts(model)
    if parts is None:
        return None
    boosting, calibrator = parts
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    threads = _openmp_effective_n_threads(None)
    x = np.ascontiguousarray(matrix, dtype=np.float64)
    predictors = [iteration[0] for iteration in boosting._predictors]
    known, f_idx_map = boosting._bin_mapper.make_known_categories_bitsets()
    baseline = boosting._baseline_prediction.ravel()[0]

    def predict(tree: int, rows: FloatArray) -> FloatArray:
        values: FloatArray = predictors[tree].predict(
            rows, known_cat_bitsets=known, f_idx_map=f_idx_map, n_threads=threads
        )
        return values

    plans = []
    for position, (column, value) in enumerate(zip(columns, reference, strict=True)):
        trees = [
            t
            for t, predictor in enumerate(predictors)
            if bool(_splits_on(predictor.nodes, column).any())
        ]
        if trees:
            each = [_thresholds([boosting._predictors[t]], column) for t in trees]
            every = _thresholds([boosting._predictors[t] for t in trees], column)
            plans.append((position, column, float(value), trees, each, every))
    risk = np.empty(len(x), dtype=np.float64)
    parts_of: list[FloatArray] = []
    for start in range(0, len(x), BLOCK_ROWS):
        block = x[start : start + BLOCK_ROWS]
        leaves = np.empty((len(block), len(predictors)), dtype=np.float64, order="F")
        raw = np.zeros(len(block), dtype=np.float64)
        raw += baseline
        for t in range(len(predictors)):
            leaves[:, t] = predict(t, block)
            raw += leaves[:, t]
        base = _risk(calibrator, raw)
        risk[start : start + BLOCK_ROWS] = base
        if from_risk is not None:
            kept = np.flatnonzero(base >= from_risk)
            if len(kept) < len(block):
                block, leaves, raw, base = (
                    block[kept],
                    np.asfortranarray(leaves[kept]),
                    raw[kept],
                    base[kept],
                )
        out = np.zeros((len(block), len(columns)), dtype=np.float64)
        parts_of.append(out)
        for position, column, value, trees, each, every in plans:
            changed = np.flatnonzero(_crossing(block[:, column], value, every))
            if not len(changed):
                continue
            values = block[changed, column]
            before = np.zeros(len(changed), dtype=np.float64)
            after = np.zeros(len(changed), dtype=np.float64)
            for t, thresholds in zip(trees, each, strict=True):
                leaf = leaves[changed, t]
                before += leaf
                crossing = np.flatnonzero(_crossing(values, value, thresholds))
                if len(crossing):
                    substituted = block[changed[crossing]]
                    substituted[:, column] = value
                    leaf[crossing] = predict(t, substituted)
                after += leaf
            moved = raw[changed] + (after - before)
            out[changed, position] = base[changed] - _risk(calibrator, moved)
    chosen = np.ones(len(x), dtype=bool) if from_risk is None else risk >= from_risk
    result = (
        np.concatenate(parts_of)
        if parts_of
        else np.zeros((0, len(columns)), dtype=np.float64)
    )
    return risk, chosen, result
