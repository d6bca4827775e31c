"""Churn risk: a gradient-boosted classifier on per-customer features, backtested in time.

A customer *churns* after a cut-off when they make no purchase in the next
``horizon_days`` days. Features are the Ibis definitions of
:mod:`guanxi.analytics.features` (run here on DuckDB) at the cut-off, plus
trends (the last 90 days against the 90 before) and, when an interactions or
complaints table is given, contact counts in windows and days since the last
contact. :func:`backtest` trains on an earlier cut-off, scores a later one and
reports ROC-AUC, PR-AUC, calibration and the features that drive the scores,
side by side with the BG/NBD baseline (churn score = 1 - P(alive), the model
fitted on the same training cut-off).

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
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    roc_auc_score,
)

from guanxi.analytics.clv import BetaGeo
from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.features import (
    DateLike,
    connect_duckdb,
    customer_features,
    day_number,
    interaction_features,
)

__all__ = [
    "ChurnBacktestReport",
    "ChurnClassifier",
    "ReliabilityBin",
    "ScoreMetrics",
    "backtest",
]

FloatArray = npt.NDArray[np.float64]
_EPOCH = dt.date(1970, 1, 1)
_PURCHASE_WINDOWS = (30, 90, 180, 365)
_CONTACT_WINDOWS = (30, 90, 180)
# Day numbers are absolute and would not carry from one cut-off to another.
_NOT_FEATURES = ("customer_id", "first_day", "last_day")


def _as_date(value: DateLike, name: str) -> dt.date:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise AnalyticsInputError(f"{name}: cannot read '{value}' as a date") from error
    if pd.isna(stamp):
        raise AnalyticsInputError(f"{name}: cannot read '{value}' as a date")
    return dt.date(stamp.year, stamp.month, stamp.day)


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
    interactions) table, the horizon, and those of scikit-learn's
    ``HistGradientBoostingClassifier``. ``fit`` learns from the customers known
    at a cut-off whose next ``horizon_days`` are observed.

    Learned attributes: ``model_``, ``feature_names_``, ``reference_`` (the
    training median of each feature), ``cutoff_``, ``n_customers_``,
    ``churn_rate_``.

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
        max_iter: int = 200,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
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
                windows=_PURCHASE_WINDOWS,
            )
        ).set_index("customer_id")
        frame = purchases.drop(columns=[c for c in _NOT_FEATURES if c != "customer_id"])
        frame["orders_trend_90d"] = 2 * frame["orders_90d"] - frame["orders_180d"]
        frame["spend_trend_90d"] = 2 * frame["spend_90d"] - frame["spend_180d"]
        # How far past their own rhythm a customer is (0 without repeats).
        rhythm = frame["mean_interpurchase_days"].where(
            frame["mean_interpurchase_days"] > 0
        )
        frame["overdue_ratio"] = (frame["days_since_last_purchase"] / rhythm).fillna(
            0.0
        )
        if inputs.interactions is not None:
            contacts = con.execute(
                interaction_features(
                    inputs.interactions,
                    observation_end=cutoff,
                    customer_col=self.interaction_customer_col,
                    datetime_col=self.interaction_datetime_col,
                    kind_col=self.interaction_kind_col,
                    windows=_CONTACT_WINDOWS,
                )
            ).set_index("customer_id")
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
        con.disconnect()
        result: pd.DataFrame = frame.astype("float64").sort_index()
        return result

    def _buyers(self, inputs: _Inputs, cutoff: dt.date) -> set[Any]:
        """The customers with a purchase in (cutoff, cutoff + horizon]."""
        start = (cutoff - _EPOCH).days
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
        return _EPOCH + dt.timedelta(days=int(last))

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
        at = _as_date(cutoff, "cutoff")
        end = (
            _as_date(observation_end, "observation_end")
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
                f"after {_as_date(cutoff, 'cutoff')}; there is nothing to learn"
            )
        model = HistGradientBoostingClassifier(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=self.random_state,
        )
        model.fit(features.to_numpy(), labels.to_numpy())
        self.model_ = model
        self.feature_names_ = list(features.columns)
        self.reference_ = features.median()
        self.cutoff_ = _as_date(cutoff, "cutoff")
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
        return self.predict_features(self._features(inputs, _as_date(cutoff, "cutoff")))

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """Per-customer, per-feature contribution by reference substitution.

        ``score(x) - score(x with feature j := training median of j)``.
        """
        matrix = self._matrix(features)
        n, k = matrix.shape
        # One prediction call over all substituted copies: per-call overhead
        # (thread start-up) dominates for small frames.
        stacked = np.tile(matrix, (k + 1, 1))
        for j, name in enumerate(self.feature_names_):
            stacked[(j + 1) * n : (j + 2) * n, j] = float(self.reference_[name])
        scores = self.model_.predict_proba(stacked)[:, 1].reshape(k + 1, n)
        result = (scores[0] - scores[1:]).T
        return pd.DataFrame(result, index=features.index, columns=self.feature_names_)

    def permutation_importance(
        self, features: pd.DataFrame, labels: pd.Series, *, n_repeats: int = 5
    ) -> pd.DataFrame:
        """Mean and std over ``n_repeats`` of the ROC-AUC lost when one feature is shuffled.

        Rows are shuffled with ``random_state``; every shuffled copy is scored
        in one prediction call.
        """
        matrix = self._matrix(features)
        y = labels.to_numpy()
        n, k = matrix.shape
        base = roc_auc_score(y, self.model_.predict_proba(matrix)[:, 1])
        rng = np.random.default_rng(self.random_state)
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


# -- backtest ---------------------------------------------------------------
@dataclass(frozen=True)
class ReliabilityBin:
    """One calibration bin: scores in [lower, upper) (the last bin includes 1)."""

    lower: float
    upper: float
    count: int
    mean_predicted: float
    observed_rate: float


@dataclass(frozen=True)
class ScoreMetrics:
    """How well a churn score ranks and how well it is calibrated on the test set."""

    roc_auc: float
    pr_auc: float
    brier: float
    reliability: tuple[ReliabilityBin, ...]

    @classmethod
    def of(cls, labels: FloatArray, scores: FloatArray, bins: int = 10) -> ScoreMetrics:
        edges = np.linspace(0.0, 1.0, bins + 1)
        which = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, bins - 1)
        reliability = []
        for i in range(bins):
            inside = which == i
            if not inside.any():
                continue
            reliability.append(
                ReliabilityBin(
                    lower=float(edges[i]),
                    upper=float(edges[i + 1]),
                    count=int(inside.sum()),
                    mean_predicted=float(scores[inside].mean()),
                    observed_rate=float(labels[inside].mean()),
                )
            )
        return cls(
            roc_auc=float(roc_auc_score(labels, scores)),
            pr_auc=float(average_precision_score(labels, scores)),
            brier=float(brier_score_loss(labels, scores)),
            reliability=tuple(reliability),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "roc_auc": self.roc_auc,
            "pr_auc": self.pr_auc,
            "brier": self.brier,
            "reliability": [vars(b) for b in self.reliability],
        }


@dataclass(frozen=True)
class ChurnBacktestReport:
    """Classifier and BG/NBD baseline scored on the same later cut-off.

    ``scores`` has one row per test customer: ``churn_probability`` (the
    classifier), ``baseline_score`` (1 - P(alive) under BG/NBD) and
    ``churned`` (what happened). ``contributions`` holds the per-customer
    feature contributions (see :meth:`ChurnClassifier.contributions`);
    ``feature_importance`` is the permutation importance on the test set (mean
    drop in ROC-AUC, and its standard deviation over the repeats).
    """

    train_cutoff: dt.date
    test_cutoff: dt.date
    horizon_days: int
    n_train: int
    n_test: int
    train_churn_rate: float
    test_churn_rate: float
    model: ScoreMetrics
    baseline: ScoreMetrics
    baseline_params: dict[str, float]
    feature_importance: pd.DataFrame
    scores: pd.DataFrame
    contributions: pd.DataFrame = field(repr=False)

    def top_drivers(self, customer: Any, n: int = 3) -> list[tuple[str, float]]:
        """The ``n`` features that raise this customer's risk the most."""
        row = self.contributions.loc[customer].sort_values(ascending=False)
        return [(str(name), float(value)) for name, value in row.head(n).items()]

    def to_dict(self, at_risk: int = 20) -> dict[str, Any]:
        """JSON-ready: metrics side by side and the ``at_risk`` riskiest customers."""
        riskiest = self.scores.sort_values(
            ["churn_probability"], ascending=False, kind="stable"
        ).head(at_risk)
        return {
            "train_cutoff": self.train_cutoff.isoformat(),
            "test_cutoff": self.test_cutoff.isoformat(),
            "horizon_days": self.horizon_days,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "train_churn_rate": self.train_churn_rate,
            "test_churn_rate": self.test_churn_rate,
            "model": self.model.to_dict(),
            "baseline": {
                "name": "bgnbd_p_alive",
                "params": self.baseline_params,
                **self.baseline.to_dict(),
            },
            "feature_importance": [
                {
                    "feature": str(name),
                    "mean": float(row["mean"]),
                    "std": float(row["std"]),
                }
                for name, row in self.feature_importance.iterrows()
            ],
            "at_risk": [
                {
                    "customer_id": str(customer),
                    "churn_probability": float(row["churn_probability"]),
                    "baseline_score": float(row["baseline_score"]),
                    "churned": int(row["churned"]),
                    "drivers": [
                        {"feature": name, "contribution": value}
                        for name, value in self.top_drivers(customer)
                    ],
                }
                for customer, row in riskiest.iterrows()
            ],
        }


def _bgnbd_scores(
    train: pd.DataFrame, test: pd.DataFrame
) -> tuple[FloatArray, dict[str, float]]:
    """1 - P(alive) on the test cut-off, BG/NBD fitted at the training cut-off (weeks)."""

    def summary(features: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "frequency": features["frequency"],
                "recency": features["recency"] / 7.0,
                "T": features["T"] / 7.0,
            }
        )

    model = BetaGeo()
    model.fit(summary(train))
    at_test = summary(test)
    alive = model.probability_alive(
        at_test["frequency"], at_test["recency"], at_test["T"]
    )
    params = {name: float(value) for name, value in model.params_.items()}
    return 1.0 - np.asarray(alive, dtype=np.float64), params


def backtest(
    transactions: pd.DataFrame | ir.Table,
    *,
    train_cutoff: DateLike,
    test_cutoff: DateLike,
    classifier: ChurnClassifier | None = None,
    interactions: pd.DataFrame | ir.Table | None = None,
    observation_end: DateLike | None = None,
    n_repeats: int = 5,
) -> ChurnBacktestReport:
    """Train at ``train_cutoff``, score at ``test_cutoff``, compare with BG/NBD.

    The training labels must be known by the test cut-off (``train_cutoff +
    horizon_days <= test_cutoff``) so nothing of the test period leaks into
    training, and the test horizon must be observed (``test_cutoff +
    horizon_days <= observation_end``, by default the last purchase day).
    """
    model = classifier if classifier is not None else ChurnClassifier(random_state=0)
    train_at = _as_date(train_cutoff, "train_cutoff")
    test_at = _as_date(test_cutoff, "test_cutoff")
    train_labels_end = train_at + dt.timedelta(days=int(model.horizon_days))
    if train_labels_end > test_at:
        raise AnalyticsInputError(
            f"train_cutoff: {train_at} + {model.horizon_days} days "
            f"({train_labels_end}) is after test_cutoff ({test_at})"
        )
    train_features, train_labels = model.labelled(
        transactions,
        cutoff=train_at,
        interactions=interactions,
        observation_end=test_at,
    )
    model.fit_labelled(train_features, train_labels, cutoff=train_at)
    test_features, test_labels = model.labelled(
        transactions,
        cutoff=test_at,
        interactions=interactions,
        observation_end=observation_end,
    )
    if test_labels.nunique() < 2:
        raise AnalyticsInputError(
            f"test_cutoff: every customer has the same outcome after {test_at}; "
            "ROC-AUC is undefined"
        )
    proba = model.predict_features(test_features).to_numpy()
    labels = test_labels.to_numpy().astype(np.float64)
    baseline, baseline_params = _bgnbd_scores(train_features, test_features)
    feature_importance = model.permutation_importance(
        test_features, test_labels, n_repeats=n_repeats
    )
    scores = pd.DataFrame(
        {
            "churn_probability": proba,
            "baseline_score": baseline,
            "churned": test_labels.to_numpy(),
        },
        index=test_features.index,
    )
    return ChurnBacktestReport(
        train_cutoff=train_at,
        test_cutoff=test_at,
        horizon_days=int(model.horizon_days),
        n_train=model.n_customers_,
        n_test=len(test_features),
        train_churn_rate=model.churn_rate_,
        test_churn_rate=float(labels.mean()),
        model=ScoreMetrics.of(labels, proba),
        baseline=ScoreMetrics.of(labels, baseline),
        baseline_params=baseline_params,
        feature_importance=feature_importance,
        scores=scores,
        contributions=model.contributions(test_features),
    )
