"""Churn risk: a calibrated gradient-boosted classifier on per-customer features.

A customer *churns* after a cut-off when they make no purchase in the next
``horizon_days`` days. Features are the Ibis definitions of
:mod:`guanxi.analytics.features` (run here on DuckDB) at the cut-off, plus
trends (the last 90 days against the 90 before), the BTYD model's own answers
(BG/NBD fitted on the history up to the cut-off: P(alive), expected
purchases and the probability of no purchase in the horizon, so the
classifier starts from the baseline it is compared with and can only add to
it) and, when an interactions or complaints table is given, contact counts
in windows and days since the last contact.

The probabilities are calibrated on the training period: Platt scaling
(scikit-learn's ``CalibratedClassifierCV``) on out-of-fold predictions of a
5-fold split of the training customers, never on the customers it is tested
on. The boosting is kept small and strongly regularised (100 trees of 7
leaves, at least 100 customers a leaf): the labels are noisy and the test
cut-off lies a horizon later than the training one, where a larger model
learnt the training period's noise (on the full CDNOW file it then ranked
below the BTYD baseline). :mod:`guanxi.analytics.churn_backtest` trains at
one cut-off, scores a later one and compares with fair baselines.

OpenMP: scikit-learn's gradient boosting spins its threads while waiting by
default, which on a busy 2-core machine slows the fit many-fold. This module
sets ``OMP_WAIT_POLICY=passive`` before scikit-learn is imported (unless the
environment already says otherwise); it only takes effect when this module
is the first to load scikit-learn in the process, so services and test runs
should export it too.

Reproducibility: features are computed on a one-thread DuckDB connection.
With several threads DuckDB adds floating-point amounts in varying order, the
last bits of the spend features change from run to run, and a gradient-boosted
model can split differently; one thread makes the same data give the same
scores.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from guanxi.analytics.churn_trees import tree_contributions, tree_risk_contributions
from guanxi.analytics.clv import BetaGeo
from guanxi.analytics.dates import EPOCH, DateLike, as_date
from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.features import (
    connect_duckdb,
    customer_features,
    day_number,
    interaction_features,
)
from guanxi.analytics.summary import CustomerSummary

__all__ = ["BTYD_FEATURES", "CONTACT_WINDOWS", "PURCHASE_WINDOWS", "ChurnClassifier"]

FloatArray = npt.NDArray[np.float64]
#: The windows (days) of the purchase and contact features.
PURCHASE_WINDOWS = (30, 90, 180, 365)
CONTACT_WINDOWS = (30, 90, 180)
# Day numbers are absolute and would not carry from one cut-off to another.
_NOT_FEATURES = ("customer_id", "first_day", "last_day")
#: The BTYD quantities among the features (BG/NBD fitted at the cut-off).
BTYD_FEATURES = ("btyd_p_alive", "btyd_expected_purchases", "btyd_no_purchase")


def _as_table(data: pd.DataFrame | ir.Table, columns: Sequence[str | None]) -> ir.Table:
    if isinstance(data, ir.Table):
        table = data
    elif isinstance(data, pd.DataFrame):
        for name in columns:
            if name is not None and name not in data.columns:
                raise AnalyticsInputError(f"column '{name}' is missing")
        frame = data[[name for name in columns if name is not None]].copy()
        for name in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[name]):
                # Arrow refuses to drop nanoseconds; only the day matters here.
                frame[name] = frame[name].dt.floor("us")
        table = ibis.memtable(frame)
    else:
        raise AnalyticsInputError(
            f"expected a DataFrame or an Ibis table, got {type(data).__name__}"
        )
    for name in columns:
        if name is not None and name not in table.columns:
            raise AnalyticsInputError(f"column '{name}' is missing")
    return table


@dataclass(frozen=True)
class _Inputs:
    transactions: ir.Table
    interactions: ir.Table | None


class ChurnClassifier:
    """Churn risk per customer: P(no purchase in the ``horizon_days`` after a cut-off).

    Hyperparameters are the column names of the transactions (and optional
    interactions) table, the horizon, those of scikit-learn's
    ``HistGradientBoostingClassifier``, and the calibration (``"sigmoid"``:
    Platt scaling, ``"isotonic"``, or ``"none"``) with its number of folds.
    ``fit`` learns from the customers known at a cut-off whose next
    ``horizon_days`` are observed.

    Learned attributes: ``model_`` (the calibrated classifier),
    ``calibration_`` (the method used: ``"none"`` when a class has fewer than
    two customers), ``feature_names_``, ``reference_`` (the training median of
    each feature), ``btyd_params_`` (BG/NBD at the training cut-off),
    ``cutoff_``, ``n_customers_``, ``churn_rate_``.

    Per-customer drivers (:meth:`contributions`) use *reference substitution*:
    a feature's contribution is the customer's score minus the score with that
    one feature set to its training median. Positive values push the risk up.
    It is simple and model-agnostic; contributions do not add up to the score.
    """

    def __init__(
        self,
        *,
        customer_col: str = "customer_id",
        datetime_col: str = "date",
        amount_col: str | None = None,
        interaction_customer_col: str = "customer_id",
        interaction_datetime_col: str = "date",
        interaction_kind_col: str | None = None,
        horizon_days: int = 90,
        learning_rate: float = 0.05,
        max_iter: int = 100,
        max_leaf_nodes: int = 7,
        min_samples_leaf: int = 100,
        l2_regularization: float = 10.0,
        calibration: Literal["sigmoid", "isotonic", "none"] = "sigmoid",
        calibration_folds: int = 5,
        random_state: int | None = None,
    ) -> None:
        self.customer_col = customer_col
        self.datetime_col = datetime_col
        self.amount_col = amount_col
        self.interaction_customer_col = interaction_customer_col
        self.interaction_datetime_col = interaction_datetime_col
        self.interaction_kind_col = interaction_kind_col
        self.horizon_days = horizon_days
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.calibration = calibration
        self.calibration_folds = calibration_folds
        self.random_state = random_state

    # -- data ---------------------------------------------------------------
    def _inputs(
        self,
        transactions: pd.DataFrame | ir.Table,
        interactions: pd.DataFrame | ir.Table | None,
    ) -> _Inputs:
        if int(self.horizon_days) <= 0:
            raise AnalyticsInputError(
                f"horizon_days: {self.horizon_days} is not a positive number of days"
            )
        purchases = _as_table(
            transactions, [self.customer_col, self.datetime_col, self.amount_col]
        )
        contacts = (
            _as_table(
                interactions,
                [
                    self.interaction_customer_col,
                    self.interaction_datetime_col,
                    self.interaction_kind_col,
                ],
            )
            if interactions is not None
            else None
        )
        return _Inputs(purchases, contacts)

    def _features(self, inputs: _Inputs, cutoff: dt.date) -> pd.DataFrame:
        con = connect_duckdb(threads=1)
        purchases = con.execute(
            customer_features(
                inputs.transactions,
                observation_end=cutoff,
                customer_col=self.customer_col,
                datetime_col=self.datetime_col,
                amount_col=self.amount_col,
                windows=PURCHASE_WINDOWS,
            )
        )
        contacts = None
        if inputs.interactions is not None:
            contacts = con.execute(
                interaction_features(
                    inputs.interactions,
                    observation_end=cutoff,
                    customer_col=self.interaction_customer_col,
                    datetime_col=self.interaction_datetime_col,
                    kind_col=self.interaction_kind_col,
                    windows=CONTACT_WINDOWS,
                )
            )
        con.disconnect()
        return self.features_from(purchases, contacts)

    def features_from(
        self, purchases: pd.DataFrame, contacts: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """The classifier's features from per-customer frames computed elsewhere.

        ``purchases`` is :func:`~guanxi.analytics.features.customer_features`
        at the cut-off with windows :data:`PURCHASE_WINDOWS`, ``contacts``
        (optional) :func:`~guanxi.analytics.features.interaction_features`
        with windows :data:`CONTACT_WINDOWS` — run on any backend (the
        insights app runs them inside the database). Adds the trends, how far
        past their own rhythm each customer is, and the BTYD quantities.
        """
        frame = purchases.set_index("customer_id").drop(
            columns=[c for c in _NOT_FEATURES if c != "customer_id"]
        )
        frame["orders_trend_90d"] = 2 * frame["orders_90d"] - frame["orders_180d"]
        frame["spend_trend_90d"] = 2 * frame["spend_90d"] - frame["spend_180d"]
        # How far past their own rhythm a customer is (0 without repeats).
        rhythm = frame["mean_interpurchase_days"].where(
            frame["mean_interpurchase_days"] > 0
        )
        frame["overdue_ratio"] = (frame["days_since_last_purchase"] / rhythm).fillna(
            0.0
        )
        if contacts is not None:
            contacts = contacts.set_index("customer_id")
            contacts["contacts_trend_90d"] = (
                2 * contacts["contacts_90d"] - contacts["contacts_180d"]
            )
            frame = frame.join(contacts, how="left")
            counts = [c for c in contacts.columns if c != "days_since_last_contact"]
            frame[counts] = frame[counts].fillna(0)
            # Never contacted: as long ago as the customer is old.
            frame["days_since_last_contact"] = frame["days_since_last_contact"].fillna(
                frame["T"]
            )
        result: pd.DataFrame = frame.astype("float64").sort_index()
        return self._with_btyd(result)

    def _with_btyd(self, features: pd.DataFrame) -> pd.DataFrame:
        """The features with the BTYD quantities (BG/NBD fitted on them, in weeks).

        The fitted parameters are kept in ``attrs["btyd_params"]``.
        """
        if features.empty:
            return features.assign(**{name: np.float64(0.0) for name in BTYD_FEATURES})
        weeks = CustomerSummary(
            pd.DataFrame(
                {
                    "frequency": features["frequency"],
                    "recency": features["recency"] / 7.0,
                    "T": features["T"] / 7.0,
                }
            ),
            time_unit="W",
        )
        model = BetaGeo().fit(weeks)
        x, t_x, big_t = (
            weeks.frame[c].to_numpy() for c in ("frequency", "recency", "T")
        )
        horizon = int(self.horizon_days) / 7.0
        result = features.copy()
        # On a handful of customers the fit can end where a prediction is not
        # finite (a = 1); the boosting takes that as a missing value.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            quantities = {
                "btyd_p_alive": model.probability_alive(x, t_x, big_t),
                "btyd_expected_purchases": model.expected_purchases(
                    horizon, x, t_x, big_t
                ),
                "btyd_no_purchase": model.probability_no_purchases(
                    horizon, x, t_x, big_t
                ),
            }
        for name, values in quantities.items():
            result[name] = np.where(np.isfinite(values), values, np.nan)
        result.attrs["btyd_params"] = dict(model.params_)
        return result

    def _buyers(self, inputs: _Inputs, cutoff: dt.date) -> set[Any]:
        """The customers with a purchase in (cutoff, cutoff + horizon]."""
        start = (cutoff - EPOCH).days
        table = inputs.transactions
        day = day_number(table[self.datetime_col])
        ahead = table.filter((day > start) & (day <= start + int(self.horizon_days)))
        bought = ahead.select(customer_id=ahead[self.customer_col]).distinct()
        con = connect_duckdb(threads=1)
        buyers = set(con.execute(bought)["customer_id"])
        con.disconnect()
        return buyers

    def _last_day(self, inputs: _Inputs) -> dt.date:
        con = connect_duckdb(threads=1)
        day = day_number(inputs.transactions[self.datetime_col])
        last = con.execute(inputs.transactions.aggregate(last=day.max()))["last"].iloc[
            0
        ]
        con.disconnect()
        if pd.isna(last):
            raise AnalyticsInputError("the transactions table has no rows")
        return EPOCH + dt.timedelta(days=int(last))

    def labelled(
        self,
        transactions: pd.DataFrame | ir.Table,
        *,
        cutoff: DateLike,
        interactions: pd.DataFrame | ir.Table | None = None,
        observation_end: DateLike | None = None,
    ) -> tuple[pd.DataFrame, pd.Series]:
        """Features at ``cutoff`` and the churn label (1 = churned) per customer.

        The horizon after the cut-off must be observed: ``cutoff +
        horizon_days`` may not pass ``observation_end`` (by default the last
        purchase day in the data).
        """
        inputs = self._inputs(transactions, interactions)
        at = as_date(cutoff, "cutoff")
        end = (
            as_date(observation_end, "observation_end")
            if observation_end is not None
            else self._last_day(inputs)
        )
        horizon_end = at + dt.timedelta(days=int(self.horizon_days))
        if horizon_end > end:
            raise AnalyticsInputError(
                f"cutoff: {at} + {self.horizon_days} days ({horizon_end}) is after "
                f"the end of the data ({end})"
            )
        features = self._features(inputs, at)
        if features.empty:
            raise AnalyticsInputError(f"cutoff: no customer has bought by {at}")
        buyers = self._buyers(inputs, at)
        labels = pd.Series(
            [0 if customer in buyers else 1 for customer in features.index],
            index=features.index,
            name="churned",
            dtype="int64",
        )
        return features, labels

    # -- estimator ----------------------------------------------------------
    def fit(
        self,
        transactions: pd.DataFrame | ir.Table,
        *,
        cutoff: DateLike,
        interactions: pd.DataFrame | ir.Table | None = None,
        observation_end: DateLike | None = None,
    ) -> ChurnClassifier:
        """Learn from the customers known at ``cutoff`` and what they did next."""
        features, labels = self.labelled(
            transactions,
            cutoff=cutoff,
            interactions=interactions,
            observation_end=observation_end,
        )
        return self.fit_labelled(features, labels, cutoff=cutoff)

    def fit_labelled(
        self, features: pd.DataFrame, labels: pd.Series, *, cutoff: DateLike
    ) -> ChurnClassifier:
        """Learn from features and labels made by :meth:`labelled` at ``cutoff``."""
        if labels.nunique() < 2:
            kind = "churned" if int(labels.iloc[0]) == 1 else "bought again"
            raise AnalyticsInputError(
                f"cutoff: every customer {kind} in the {self.horizon_days} days "
                f"after {as_date(cutoff, 'cutoff')}; there is nothing to learn"
            )
        if self.calibration not in ("sigmoid", "isotonic", "none"):
            raise AnalyticsInputError(
                f"calibration: '{self.calibration}' is not one of sigmoid, "
                "isotonic, none"
            )
        boosting = HistGradientBoostingClassifier(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=self.random_state,
        )
        matrix = features.to_numpy(np.float64)
        target = labels.to_numpy()
        # A feature no training customer has (every value missing: e.g. the
        # mean gap when nobody bought twice) cannot be binned; as a constant
        # it carries the same nothing, and no split is ever made on it.
        empty = np.isnan(matrix).all(axis=0)
        if empty.any():
            matrix = matrix.copy()
            matrix[:, empty] = 0.0
        # Folds for the calibration: each needs both kinds of customer, and
        # each fold's training part a value of every feature (a small
        # business's few customers may have none in a fold).
        folds = min(int(self.calibration_folds), int(labels.value_counts().min()))
        model: Any = boosting
        self.calibration_ = self.calibration if folds >= 2 else "none"
        if self.calibration_ != "none":
            cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            if _every_fold_has_values(matrix, target, cv):
                model = CalibratedClassifierCV(
                    boosting, method=self.calibration_, cv=cv, ensemble=False
                )
            else:
                self.calibration_ = "none"
        model.fit(matrix, target)
        self.model_ = model
        self.btyd_params_ = dict(features.attrs.get("btyd_params", {}))
        self.feature_names_ = list(features.columns)
        self.reference_ = features.median()
        self.cutoff_ = as_date(cutoff, "cutoff")
        self.n_customers_ = len(features)
        self.churn_rate_ = float(labels.mean())
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise AnalyticsInputError(
                "ChurnClassifier is not fitted yet: call fit first"
            )

    def _matrix(self, features: pd.DataFrame) -> FloatArray:
        self._check_fitted()
        missing = [c for c in self.feature_names_ if c not in features.columns]
        if missing:
            raise AnalyticsInputError(f"column '{missing[0]}' is missing")
        matrix: FloatArray = features[self.feature_names_].to_numpy(np.float64)
        return matrix

    def predict_features(self, features: pd.DataFrame) -> pd.Series:
        """Churn probability for a features frame (as built at a cut-off)."""
        proba = self.model_.predict_proba(self._matrix(features))[:, 1]
        return pd.Series(proba, index=features.index, name="churn_probability")

    def predict_proba(
        self,
        transactions: pd.DataFrame | ir.Table,
        *,
        cutoff: DateLike,
        interactions: pd.DataFrame | ir.Table | None = None,
    ) -> pd.Series:
        """Churn probability of each customer known at ``cutoff``."""
        self._check_fitted()
        inputs = self._inputs(transactions, interactions)
        return self.predict_features(self._features(inputs, as_date(cutoff, "cutoff")))

    def contributions(
        self, features: pd.DataFrame, only: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Per-customer, per-feature contribution by reference substitution.

        ``score(x) - score(x with feature j := training median of j)``, for
        every feature or ``only`` those named. A calibrated gradient-boosted
        model reads each substitution off every tree's table of leaves by
        decision pattern, in the pass that gives the risk
        (:mod:`guanxi.analytics.churn_trees`); any other model predicts every
        customer once more per feature.
        """
        matrix = self._matrix(features)
        names = list(self.feature_names_)
        chosen = [n for n in names if only is None or n in set(only)]
        fast = tree_contributions(
            self.model_,
            matrix,
            [names.index(name) for name in chosen],
            [float(self.reference_[name]) for name in chosen],
        )
        if fast is not None:
            return pd.DataFrame(fast, index=features.index, columns=chosen)
        return self._substituted(matrix, features.index, chosen)

    def predict_explained(
        self, features: pd.DataFrame, only: Sequence[str], from_risk: float
    ) -> tuple[pd.Series, pd.DataFrame]:
        """:meth:`predict_features` of every customer and :meth:`contributions`
        (``only`` those features) of the customers with a risk of at least
        ``from_risk``, in one pass through the trees of a calibrated
        gradient-boosted model (the same numbers as the two calls)."""
        matrix = self._matrix(features)
        names = list(self.feature_names_)
        chosen = [n for n in names if n in set(only)]
        fast = tree_risk_contributions(
            self.model_,
            matrix,
            [names.index(name) for name in chosen],
            [float(self.reference_[name]) for name in chosen],
            from_risk,
        )
        if fast is None:
            risk = self.predict_features(features)
            risky = risk.index[(risk >= from_risk).to_numpy()]
            return risk, self.contributions(features.loc[risky], only=chosen)
        proba, kept, values = fast
        risk = pd.Series(proba, index=features.index, name="churn_probability")
        return risk, pd.DataFrame(values, index=features.index[kept], columns=chosen)

    def _substituted(
        self, matrix: FloatArray, index: pd.Index, chosen: list[str]
    ) -> pd.DataFrame:
        """:meth:`contributions` literally: every customer predicted once more
        per feature (the way for models the tree path cannot read)."""
        names = list(self.feature_names_)
        n, k = matrix.shape[0], len(chosen)
        if n == 0:  # nobody to explain (the model refuses an empty matrix)
            return pd.DataFrame(np.zeros((0, k)), index=index, columns=chosen)
        # One prediction call over all substituted copies: per-call overhead
        # (thread start-up) dominates for small frames.
        stacked = np.tile(matrix, (k + 1, 1))
        for block, name in enumerate(chosen, start=1):
            column = names.index(name)
            stacked[block * n : (block + 1) * n, column] = float(self.reference_[name])
        scores = self.model_.predict_proba(stacked)[:, 1].reshape(k + 1, n)
        result = (scores[0] - scores[1:]).T
        return pd.DataFrame(result, index=index, columns=chosen)

    def permutation_importance(
        self,
        features: pd.DataFrame,
        labels: pd.Series,
        *,
        n_repeats: int = 5,
        max_customers: int | None = 5000,
    ) -> pd.DataFrame:
        """Mean and std over ``n_repeats`` of the ROC-AUC lost when one feature is shuffled.

        On at most ``max_customers`` customers, drawn with ``random_state``
        (scoring every shuffled copy of 23,570 customers took 30 s, most of a
        backtest). Rows are shuffled with ``random_state``; every shuffled
        copy is scored in one prediction call.
        """
        matrix = self._matrix(features)
        y = labels.to_numpy()
        rng = np.random.default_rng(self.random_state)
        if max_customers is not None and len(y) > max_customers:
            kept = np.sort(rng.choice(len(y), size=max_customers, replace=False))
            if len(np.unique(y[kept])) == 2:
                matrix, y = matrix[kept], y[kept]
        n, k = matrix.shape
        base = roc_auc_score(y, self.model_.predict_proba(matrix)[:, 1])
        stacked = np.tile(matrix, (k * n_repeats, 1))
        for block in range(k * n_repeats):
            j = block % k
            rows = slice(block * n, (block + 1) * n)
            stacked[rows, j] = matrix[rng.permutation(n), j]
        scores = self.model_.predict_proba(stacked)[:, 1].reshape(n_repeats, k, n)
        drops = np.array(
            [
                [base - _roc_auc(y, scores[r, j]) for j in range(k)]
                for r in range(n_repeats)
            ]
        )
        return pd.DataFrame(
            {"mean": drops.mean(axis=0), "std": drops.std(axis=0)},
            index=pd.Index(self.feature_names_, name="feature"),
        ).sort_values("mean", ascending=False, kind="stable")


def _roc_auc(labels: npt.NDArray[Any], scores: FloatArray) -> float:
    """ROC-AUC as the Mann-Whitney statistic (ties count half), as scikit-learn's."""
    ranks = stats.rankdata(scores)
    positive = labels == 1
    n_pos = int(positive.sum())
    n_neg = len(labels) - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _every_fold_has_values(
    matrix: FloatArray, target: npt.NDArray[Any], cv: StratifiedKFold
) -> bool:
    """Whether every feature has a value in the training part of every fold."""
    present = ~np.isnan(matrix)
    return all(
        bool(present[train].any(axis=0).all()) for train, _ in cv.split(matrix, target)
    )
