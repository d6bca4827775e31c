"""The churn classifier's trees read as pattern tables: the same leaves as
scikit-learn's predictor, the same contributions as the literal substitution."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from typing import Any

import numpy as np
import pandas as pd
import pytest

from guanxi.analytics.churn import ChurnClassifier
from guanxi.analytics.churn_trees import (
    MAX_SPLITS,
    _parts,
    _tree,
    tree_contributions,
)


def _labelled(rows: int = 3000) -> tuple[pd.DataFrame, pd.Series]:
    """Features of ``rows`` customers, some values missing, and labels that
    depend on three of them."""
    rng = np.random.default_rng(11)
    features = pd.DataFrame(
        {
            "days_since": rng.exponential(60.0, rows).round(),
            "orders": rng.poisson(4.0, rows).astype(float),
            "spend": rng.gamma(2.0, 150.0, rows),
            "complaints": rng.poisson(0.3, rows).astype(float),
            "noise": rng.normal(size=rows),
        },
        index=pd.Index(range(1, rows + 1), name="customer_id"),
    )
    features.loc[features.index[::7], "spend"] = np.nan
    features.loc[features.index[::11], "days_since"] = np.nan
    score = (
        features["days_since"].fillna(0.0) / 60.0
        - features["orders"] / 4.0
        + features["complaints"]
        + rng.normal(scale=0.5, size=rows)
    )
    labels = (score > score.median()).astype("int64")
    return features, labels


def _fitted(**changes: Any) -> tuple[ChurnClassifier, pd.DataFrame]:
    features, labels = _labelled()
    model = ChurnClassifier(
        horizon_days=30, max_iter=30, min_samples_leaf=20, random_state=0, **changes
    ).fit_labelled(features, labels, cutoff="2024-01-31")
    return model, features


@pytest.fixture(scope="module")
def fitted() -> tuple[ChurnClassifier, pd.DataFrame]:
    return _fitted()


def test_each_tree_table_gives_the_predictors_leaf(
    fitted: tuple[ChurnClassifier, pd.DataFrame],
) -> None:
    model, features = fitted
    matrix = np.asfortranarray(model._matrix(features))
    boosting = model.model_.calibrated_classifiers_[0].estimator
    known, f_idx_map = boosting._bin_mapper.make_known_categories_bitsets()
    for iteration in boosting._predictors:
        predictor = iteration[0]
        nodes = predictor.nodes
        # A value equal to a threshold goes left, a missing one as the split says.
        probe = matrix.copy()
        for split in np.flatnonzero(nodes["is_leaf"] == 0)[:3]:
            probe[::5, nodes["feature_idx"][split]] = nodes["num_threshold"][split]
        probe[3::13] = np.nan
        tree = _tree(nodes)
        assert tree is not None
        for rows in (matrix, np.asfortranarray(probe)):
            expected = predictor.predict(
                rows, known_cat_bitsets=known, f_idx_map=f_idx_map, n_threads=1
            )
            assert np.array_equal(tree.leaf_of[tree.patterns(rows)], expected)


def test_contributions_equal_the_literal_ones_with_a_missing_reference(
    fitted: tuple[ChurnClassifier, pd.DataFrame],
) -> None:
    model, features = fitted
    # A column nobody had at training has no median: its reference is
    # missing, and the substitution takes each split's missing-value side.
    reference = model.reference_.copy()
    model.reference_ = reference.copy()
    model.reference_["days_since"] = np.nan
    try:
        fast = model.contributions(features)
        literal = model._substituted(
            model._matrix(features), features.index, list(model.feature_names_)
        )
    finally:
        model.reference_ = reference
    np.testing.assert_allclose(fast.to_numpy(), literal.to_numpy(), rtol=0, atol=1e-12)
    assert ((fast.to_numpy() == 0.0) == (literal.to_numpy() == 0.0)).all()
    days = fast["days_since"].to_numpy()
    # Those without the value already take the missing side: exactly zero.
    assert (days[features["days_since"].isna().to_numpy()] == 0.0).all()
    assert (days != 0.0).sum() > len(features) // 4


def test_larger_trees_than_tabulated_take_the_literal_way() -> None:
    model, features = _fitted(max_leaf_nodes=MAX_SPLITS + 4)
    boosting = model.model_.calibrated_classifiers_[0].estimator
    splits = max(int((p[0].nodes["is_leaf"] == 0).sum()) for p in boosting._predictors)
    assert splits > MAX_SPLITS
    assert _parts(model.model_) is None
    matrix = model._matrix(features)
    assert tree_contributions(model.model_, matrix, [0], [0.0]) is None
    only = ["days_since", "orders"]
    risk, reasons = model.predict_explained(features, only=only, from_risk=0.5)
    assert risk.equals(model.predict_features(features))
    risky = risk.index[(risk >= 0.5).to_numpy()]
    assert 0 < len(reasons) == len(risky) < len(features)
    literal = model._substituted(model._matrix(features.loc[risky]), risky, only)
    assert reasons.equals(literal)
