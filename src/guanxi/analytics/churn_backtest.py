"""Churn backtest: the classifier against fair baselines on a later cut-off.

:func:`backtest` trains a :class:`~guanxi.analytics.churn.ChurnClassifier` at
one cut-off, scores the customers at a later one (a horizon later, so no
training label is from the test period) and reports ROC-AUC, PR-AUC, Brier
score and reliability bins beside two baselines scored on the same customers:

- ``btyd_no_purchase``: the BTYD model's probability of no purchase in the
  horizon (BG/NBD fitted on the history up to the test cut-off; see
  :meth:`~guanxi.analytics.clv.bgnbd.BetaGeo.probability_no_purchases`);
- ``days_since_last_purchase``: the recency rule (longer ago, more risk); a
  ranking, not a probability, so it has no Brier score.

``baseline`` is the one with the higher ROC-AUC, and the report says plainly
whether the classifier beats it. (The baseline used to be 1 - P(alive) under
BG/NBD, which is 0 for every customer without a repeat purchase and so
ranked the one-time buyers, most of the churners, as the safest: ROC-AUC
0.34 on the full CDNOW file.)

:func:`churn_report` is the report function of the command line and the
scoring runs: the cut-offs from the observation end and the horizon.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from guanxi.analytics.churn import ChurnClassifier
from guanxi.analytics.dates import DateLike, as_date, date_of_day
from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.reports import Notice
from guanxi.analytics.transactions import Transactions

__all__ = [
    "BASELINES",
    "Baseline",
    "ChurnBacktestReport",
    "ReliabilityBin",
    "ScoreMetrics",
    "backtest",
    "churn_report",
]

FloatArray = npt.NDArray[np.float64]

#: Baselines: feature column → (English, Chinese) name, whether a probability.
BASELINES: dict[str, tuple[str, str, bool]] = {
    "btyd_no_purchase": ("BTYD P(no purchase)", "BTYD 无购买概率", True),
    "days_since_last_purchase": ("days since last purchase", "距上次购买天数", False),
}


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
    """How well a churn score ranks and, for a probability, how well it is calibrated."""

    roc_auc: float
    pr_auc: float
    brier: float | None
    reliability: tuple[ReliabilityBin, ...]

    @classmethod
    def of(
        cls,
        labels: FloatArray,
        scores: FloatArray,
        bins: int = 10,
        *,
        probability: bool = True,
    ) -> ScoreMetrics:
        reliability = []
        if probability:
            edges = np.linspace(0.0, 1.0, bins + 1)
            which = np.clip(
                np.searchsorted(edges, scores, side="right") - 1, 0, bins - 1
            )
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
            brier=float(brier_score_loss(labels, scores)) if probability else None,
            reliability=tuple(reliability),
        )

    def largest_gap(self, at_least: int) -> float:
        """The largest |predicted - observed| in a bin of ``at_least`` customers."""
        gaps = [
            abs(b.mean_predicted - b.observed_rate)
            for b in self.reliability
            if b.count >= at_least
        ]
        return max(gaps, default=0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "roc_auc": self.roc_auc,
            "pr_auc": self.pr_auc,
            "brier": self.brier,
            "reliability": [vars(b) for b in self.reliability],
        }


@dataclass(frozen=True)
class Baseline:
    """A baseline churn score on the test customers and its metrics."""

    name: str
    label_en: str
    label_zh: str
    metrics: ScoreMetrics
    params: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label_en": self.label_en,
            "label_zh": self.label_zh,
            "params": self.params,
            **self.metrics.to_dict(),
        }


@dataclass(frozen=True)
class ChurnBacktestReport:
    """Classifier and baselines scored on the same later cut-off.

    ``scores`` has one row per test customer: ``churn_probability`` (the
    classifier), each baseline's score and ``churned`` (what happened).
    ``contributions`` holds the per-customer feature contributions (see
    :meth:`ChurnClassifier.contributions`); ``feature_importance`` is the
    permutation importance on the test set (mean drop in ROC-AUC, and its
    standard deviation over the repeats).
    """

    train_cutoff: dt.date
    test_cutoff: dt.date
    horizon_days: int
    n_train: int
    n_test: int
    train_churn_rate: float
    test_churn_rate: float
    calibration: str
    model: ScoreMetrics
    baselines: tuple[Baseline, ...]
    feature_importance: pd.DataFrame
    scores: pd.DataFrame
    contributions: pd.DataFrame = field(repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """The scores, one row per test customer (what ``--out`` writes)."""
        return self.scores.rename_axis("customer_id").reset_index()

    @property
    def warnings(self) -> tuple[Notice, ...]:
        return ()

    @property
    def baseline(self) -> Baseline:
        """The strongest baseline: the highest ROC-AUC."""
        return max(self.baselines, key=lambda b: b.metrics.roc_auc)

    @property
    def beats_baseline(self) -> bool:
        return self.model.roc_auc > self.baseline.metrics.roc_auc

    @property
    def verdict(self) -> Notice:
        best = self.baseline
        mine, theirs = self.model.roc_auc, best.metrics.roc_auc
        if self.beats_baseline:
            return Notice(
                en=f"The classifier ranks churners better than the best baseline "
                f"({best.label_en}): ROC-AUC {mine:.4f} against {theirs:.4f}.",
                zh=f"分类器对流失客户的排序优于最佳基线（{best.label_zh}）："
                f"ROC-AUC {mine:.4f}，基线 {theirs:.4f}。",
            )
        return Notice(
            en=f"The classifier does not beat the best baseline ({best.label_en}): "
            f"ROC-AUC {mine:.4f} against {theirs:.4f}; rank customers by the "
            "baseline instead.",
            zh=f"分类器未能超过最佳基线（{best.label_zh}）：ROC-AUC {mine:.4f}，"
            f"基线 {theirs:.4f}；请改用基线排序。",
        )

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
            "calibration": self.calibration,
            "model": self.model.to_dict(),
            "baselines": [baseline.to_dict() for baseline in self.baselines],
            "baseline": self.baseline.to_dict(),
            "beats_baseline": self.beats_baseline,
            "verdict": self.verdict.to_dict(),
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
                    **{
                        name: float(row[name])
                        for name in ("churn_probability", *BASELINES)
                    },
                    "churned": int(row["churned"]),
                    "drivers": [
                        {"feature": name, "contribution": value}
                        for name, value in self.top_drivers(customer)
                    ],
                }
                for customer, row in riskiest.iterrows()
            ],
        }

    def lines(self) -> list[str]:
        """The bilingual text summary."""
        days = self.horizon_days
        shown = [
            f"Churn = no purchase within {days} days / {days} 天内无购买视为流失",
            f"Train cut-off / 训练截止 {self.train_cutoff} ({self.n_train} customers / "
            f"客户, churn rate / 流失率 {self.train_churn_rate:.1%}); "
            f"test cut-off / 测试截止 {self.test_cutoff} ({self.n_test}, "
            f"{self.test_churn_rate:.1%})",
            f"{'':<10}{'classifier / 分类器':>22}"
            + "".join(f"{f'{b.label_en} / {b.label_zh}':>44}" for b in self.baselines),
        ]
        for label, name in (("ROC-AUC", "roc_auc"), ("PR-AUC", "pr_auc")):
            shown.append(
                f"{label:<10}{getattr(self.model, name):>22.4f}"
                + "".join(f"{getattr(b.metrics, name):>44.4f}" for b in self.baselines)
            )
        shown.append(
            f"{'Brier':<10}{self.model.brier or 0.0:>22.4f}"
            + "".join(
                f"{b.metrics.brier:>44.4f}"
                if b.metrics.brier is not None
                else f"{'-':>44}"
                for b in self.baselines
            )
        )
        verdict = self.verdict
        shown += [
            verdict.en,
            verdict.zh,
            "Features that drive the score / 主要影响因素:",
        ]
        for feature, row in self.feature_importance.head(5).iterrows():
            shown.append(f"  {feature:<28}{row['mean']:+.4f}")
        return shown


def backtest(
    transactions: pd.DataFrame | Any,
    *,
    train_cutoff: DateLike,
    test_cutoff: DateLike,
    classifier: ChurnClassifier | None = None,
    interactions: pd.DataFrame | Any | None = None,
    observation_end: DateLike | None = None,
    n_repeats: int = 5,
) -> ChurnBacktestReport:
    """Train at ``train_cutoff``, score at ``test_cutoff``, compare with the baselines.

    The training labels must be known by the test cut-off (``train_cutoff +
    horizon_days <= test_cutoff``) so nothing of the test period leaks into
    training (the calibration too uses only the training customers), and the
    test horizon must be observed (``test_cutoff + horizon_days <=
    observation_end``, by default the last purchase day).
    """
    model = classifier if classifier is not None else ChurnClassifier(random_state=0)
    train_at = as_date(train_cutoff, "train_cutoff")
    test_at = as_date(test_cutoff, "test_cutoff")
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
    baselines = tuple(
        Baseline(
            name=name,
            label_en=english,
            label_zh=chinese,
            metrics=ScoreMetrics.of(
                labels, test_features[name].to_numpy(), probability=probability
            ),
            params=(
                dict(test_features.attrs.get("btyd_params", {}))
                if name.startswith("btyd")
                else {}
            ),
        )
        for name, (english, chinese, probability) in BASELINES.items()
    )
    scores = pd.DataFrame(
        {
            "churn_probability": proba,
            **{name: test_features[name].to_numpy() for name in BASELINES},
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
        calibration=model.calibration_,
        model=ScoreMetrics.of(labels, proba),
        baselines=baselines,
        feature_importance=model.permutation_importance(
            test_features, test_labels, n_repeats=n_repeats
        ),
        scores=scores,
        contributions=model.contributions(test_features),
    )


def churn_report(
    transactions: Transactions,
    *,
    horizon_days: int = 90,
    observation_end: DateLike | None = None,
    test_cutoff: DateLike | None = None,
    random_state: int = 0,
) -> ChurnBacktestReport:
    """The backtest with cut-offs from the observation end and the horizon.

    The test cut-off is ``test_cutoff``, by default the observation end minus
    the horizon; the training cut-off is one horizon earlier, so the training
    labels are known before the test period starts.
    """
    end = date_of_day(transactions.end_day(observation_end))
    test_at = (
        as_date(test_cutoff, "test_cutoff")
        if test_cutoff is not None
        else end - dt.timedelta(days=int(horizon_days))
    )
    classifier = ChurnClassifier(
        customer_col="customer_id",
        datetime_col="date",
        amount_col="amount" if transactions.amounts is not None else None,
        horizon_days=horizon_days,
        random_state=random_state,
    )
    return backtest(
        transactions.to_frame(),
        train_cutoff=test_at - dt.timedelta(days=int(horizon_days)),
        test_cutoff=test_at,
        classifier=classifier,
        observation_end=end,
    )
