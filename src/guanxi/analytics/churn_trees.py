"""Reference-substitution contributions of the churn classifier, read off
each tree's decision pattern.

:meth:`guanxi.analytics.churn.ChurnClassifier.contributions` defines a
feature's contribution as ``score(x) - score(x with feature j := its training
median)``. Done literally, that is one prediction of every customer through
all the trees per feature: 13 features of 580,000 risky customers are
8 million predictions of 100 trees (about 50 CPU seconds measured).

A tree of the boosting has few splits (6 with the classifier's 7 leaves).
Which way a customer goes at *every* split, on their path or not, is a
number of that many bits, the tree's *pattern* for the customer; the leaf is
a function of the pattern, tabulated once per tree (64 entries). Setting
feature ``j`` to the reference only sets the bits of the splits on ``j`` to
the ones the reference gives, so the substituted leaf is a second table read
with the same pattern — no tree is walked again. The raw score with ``j``
substituted is the raw score plus, over the trees that split on ``j``, the
substituted leaves minus the leaves; the calibration (Platt or isotonic) then
maps raw scores to probabilities exactly as the calibrated model does.

The leaves are summed tree by tree in the boosting's order, as scikit-learn
sums them, so the risk is the same number to the last bit; the substituted
sums are made in the same order as before this way was taken (the crossing
rows re-predicted through scikit-learn's predictor), so the contributions are
the same numbers too, and they equal the literal ones up to the order of
floating-point additions (about 1e-16, below the 4 decimals a reason keeps).
Customers whose path no substitution changes get exactly zero.

This reads scikit-learn's fitted internals (``_predictors``, the tree nodes,
``_baseline_prediction``) of ``HistGradientBoostingClassifier`` inside a
``CalibratedClassifierCV(ensemble=False)``; :func:`tree_contributions`
returns ``None`` for any other shape (or trees of more than
:data:`MAX_SPLITS` splits) and the caller falls back to the literal way. A
test compares both on a fitted model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["MAX_SPLITS", "tree_contributions", "tree_risk_contributions"]

FloatArray = npt.NDArray[np.float64]
Patterns = npt.NDArray[np.intp]

#: Splits a tree may have for its patterns to be tabulated (2**16 leaves'
#: values per tree at most; the classifier's trees have 6).
MAX_SPLITS = 16
#: Rows per block: each block keeps every tree's pattern and leaf value of
#: its rows (32,768 rows × 100 trees × 16 bytes = 52 MB). At 939,630 rows
#: the pass peaked at 155 MB of numpy arrays (220 with 65,536 rows a block,
#: 481 before the tables: a C-ordered copy of the whole matrix), at the same
#: CPU.
BLOCK_ROWS = 32_768


@dataclass(frozen=True)
class _Tree:
    """One tree as its splits and the leaf value of every pattern: bit ``k``
    of a pattern is 1 when the row goes left at split ``k``."""

    features: npt.NDArray[np.intp]
    thresholds: FloatArray
    missing_left: npt.NDArray[np.bool_]
    leaf_of: FloatArray

    def patterns(self, block: FloatArray) -> Patterns:
        """Each row's pattern: left when the value is at most the threshold,
        or missing and the split sends the missing left (scikit-learn's
        predictor's rule)."""
        found = np.zeros(len(block), dtype=np.uint16)
        for bit, (column, threshold, missing_left) in enumerate(
            zip(
                self.features.tolist(),
                self.thresholds.tolist(),
                self.missing_left.tolist(),
                strict=True,
            )
        ):
            values = block[:, column]
            left = values <= threshold
            if missing_left:
                left |= np.isnan(values)
            found |= left.astype(np.uint16) << np.uint16(bit)
        # Read as indices once: numpy indexes with intp several times faster.
        return found.astype(np.intp)

    def substituted(self, column: int, reference: float) -> FloatArray | None:
        """The leaf value of every pattern once ``column`` is set to
        ``reference``, or ``None`` when the tree does not split on it."""
        on = self.features == column
        if not on.any():
            return None
        mask = int(np.sum(np.left_shift(1, np.flatnonzero(on))))
        goes_left = (reference <= self.thresholds) | (
            bool(np.isnan(reference)) & self.missing_left
        )
        bits = int(np.sum(np.left_shift(1, np.flatnonzero(on & goes_left))))
        every = np.arange(len(self.leaf_of))
        table: FloatArray = self.leaf_of[(every & ~mask) | bits]
        return table


def _tree(nodes: Any) -> _Tree | None:
    """The splits and pattern table of one predictor's nodes, or ``None``
    for a tree this cannot tabulate (categorical splits, too many splits)."""
    splits = np.flatnonzero(nodes["is_leaf"] == 0)
    if len(splits) > MAX_SPLITS or bool((nodes["is_categorical"][splits] != 0).any()):
        return None
    bit_of = np.full(len(nodes), -1, dtype=np.int64)
    bit_of[splits] = np.arange(len(splits))
    every = np.arange(2 ** len(splits), dtype=np.int64)
    node = np.zeros(len(every), dtype=np.int64)
    is_leaf = nodes["is_leaf"].astype(bool)
    left = nodes["left"].astype(np.int64)
    right = nodes["right"].astype(np.int64)
    # Every pattern walks the tree at once, one level a step.
    while not bool(is_leaf[node].all()):
        inner = ~is_leaf[node]
        at = node[inner]
        goes_left = (every[inner] >> bit_of[at]) & 1
        node[inner] = np.where(goes_left == 1, left[at], right[at])
    return _Tree(
        features=nodes["feature_idx"][splits].astype(np.intp),
        thresholds=nodes["num_threshold"][splits].astype(np.float64),
        missing_left=nodes["missing_go_to_left"][splits].astype(bool),
        leaf_of=nodes["value"][node].astype(np.float64),
    )


def _parts(model: Any) -> tuple[Any, Any, list[_Tree]] | None:
    """The boosting, the calibrator and the tabulated trees of a calibrated
    binary classifier."""
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
    trees = [_tree(iteration[0].nodes) for iteration in boosting._predictors]
    if any(tree is None for tree in trees):
        return None
    return boosting, calibrators[0], [tree for tree in trees if tree is not None]


def _risk(calibrator: Any, raw: FloatArray) -> FloatArray:
    """The calibrated probability of churn for raw boosting scores, as
    ``CalibratedClassifierCV.predict_proba`` computes its second column."""
    proba: FloatArray = np.asarray(calibrator.predict(raw), dtype=np.float64)
    proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
    return proba


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

    By blocks of rows: every tree's pattern of each row is found once; the
    raw score is the sum of the leaves the patterns give, and a substitution
    reads each tree that splits on the column in its substituted table."""
    parts = _parts(model)
    if parts is None:
        return None
    boosting, calibrator, trees = parts
    x = np.asarray(matrix, dtype=np.float64)
    baseline = boosting._baseline_prediction.ravel()[0]
    plans = []
    for position, (column, value) in enumerate(zip(columns, reference, strict=True)):
        tables = [
            (t, table)
            for t, tree in enumerate(trees)
            if (table := tree.substituted(column, float(value))) is not None
        ]
        if tables:
            plans.append((position, tables))
    risk = np.empty(len(x), dtype=np.float64)
    parts_of: list[FloatArray] = []
    for start in range(0, len(x), BLOCK_ROWS):
        block = np.asfortranarray(x[start : start + BLOCK_ROWS])
        patterns = [tree.patterns(block) for tree in trees]
        leaves = [
            tree.leaf_of[found] for tree, found in zip(trees, patterns, strict=True)
        ]
        raw = np.zeros(len(block), dtype=np.float64)
        raw += baseline
        for leaf in leaves:
            raw += leaf
        base = _risk(calibrator, raw)
        risk[start : start + BLOCK_ROWS] = base
        if from_risk is not None:
            kept = np.flatnonzero(base >= from_risk)
            if len(kept) < len(block):
                patterns = [found[kept] for found in patterns]
                leaves = [leaf[kept] for leaf in leaves]
                raw, base = raw[kept], base[kept]
        out = np.zeros((len(raw), len(columns)), dtype=np.float64)
        parts_of.append(out)
        for position, tables in plans:
            before = np.zeros(len(raw), dtype=np.float64)
            after = np.zeros(len(raw), dtype=np.float64)
            for t, table in tables:
                before += leaves[t]
                after += table[patterns[t]]
            # Rows whose every leaf stays have exactly zero.
            changed = np.flatnonzero(after != before)
            if len(changed):
                moved = raw[changed] + (after[changed] - before[changed])
                out[changed, position] = base[changed] - _risk(calibrator, moved)
    chosen = np.ones(len(x), dtype=bool) if from_risk is None else risk >= from_risk
    result = (
        np.concatenate(parts_of)
        if parts_of
        else np.zeros((0, len(columns)), dtype=np.float64)
    )
    return risk, chosen, result
