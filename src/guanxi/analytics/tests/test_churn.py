"""Churn classifier and backtest on simulated customers who silently stop buying."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from guanxi.analytics.churn import ChurnClassifier, _roc_auc
from guanxi.analytics.churn_backtest import ChurnBacktestReport, backtest, churn_report
from guanxi.analytics.churn_trees import tree_contributions
from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.tests import cdnow
from guanxi.analytics.transactions import Transactions

START = pd.Timestamp("2022-01-01")
END_DAY = 800


def simulate(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """Transactions, contacts and each customer's (hidden) day of death.

    Customers arrive in the first year, buy as a Poisson process at a
    Gamma-distributed rate and silently stop at an exponential lifetime.
    Some customers complain in the 30 days before they stop; everyone gets
    occasional service calls.
    """
    rng = np.random.default_rng(seed)
    customers, days, amounts = [], [], []
    who, when, kinds = [], [], []
    deaths: dict[str, float] = {}
    for i in range(n):
        name = f"c{i:05d}"
        first = rng.uniform(0, 365)
        rate = rng.gamma(1.5, 1 / 40)
        death = first + rng.exponential(300)
        deaths[name] = death
        t = first
        while t < min(death, END_DAY):
            customers.append(name)
            days.append(t)
            amounts.append(round(float(rng.lognormal(3, 0.5)), 2))
            t += rng.exponential(1 / rate)
        if death < END_DAY and rng.uniform() < 0.5:
            who.append(name)
            when.append(max(first, death - rng.uniform(0, 30)))
            kinds.append("complaint")
        for call in rng.uniform(first, END_DAY, rng.poisson(2)):
            who.append(name)
            when.append(call)
            kinds.append("call")
    transactions = pd.DataFrame(
        {
            "customer": customers,
            "at": START + pd.to_timedelta(np.array(days), unit="D"),
            "amount": amounts,
        }
    )
    contacts = pd.DataFrame(
        {
            "customer": who,
            "at": START + pd.to_timedelta(np.array(when), unit="D"),
            "kind": kinds,
        }
    )
    return transactions, contacts, deaths


def _classifier(**changes: Any) -> ChurnClassifier:
    options: dict[str, Any] = {
        "customer_col": "customer",
        "datetime_col": "at",
        "amount_col": "amount",
        "interaction_customer_col": "customer",
        "interaction_datetime_col": "at",
        "interaction_kind_col": "kind",
        "max_iter": 60,
        "random_state": 0,
    }
    options.update(changes)
    return ChurnClassifier(**options)


@pytest.fixture(scope="module")
def simulated() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    return simulate(1200, seed=7)


@pytest.fixture(scope="module")
def report(
    simulated: tuple[pd.DataFrame, pd.DataFrame, dict[str, float]],
) -> ChurnBacktestReport:
    transactions, contacts, _ = simulated
    return backtest(
        transactions,
        train_cutoff="2023-06-01",
        test_cutoff="2023-09-01",
        classifier=_classifier(),
        interactions=contacts,
        observation_end=START + pd.Timedelta(days=END_DAY - 1),
        n_repeats=3,
    )


def test_backtest_beats_chance_and_the_baseline_is_reported(
    report: ChurnBacktestReport,
) -> None:
    assert report.n_test == 1200
    assert 0.0 < report.test_churn_rate < 1.0
    # Silent stoppers are found well above chance (0.5) ...
    assert report.model.roc_auc > 0.8
    # ... and above the rate of churners, PR-AUC's chance level.
    assert report.model.pr_auc > report.test_churn_rate + 0.05
    # Both baselines rank them too, on the same customers.
    names = [b.name for b in report.baselines]
    assert names == ["btyd_no_purchase", "days_since_last_purchase"]
    assert all(b.metrics.roc_auc > 0.6 for b in report.baselines)
    assert set(report.baselines[0].params) == {"r", "alpha", "a", "b"}
    scores = report.scores
    assert list(scores.columns) == ["churn_probability", *names, "churned"]
    assert report.model.roc_auc == pytest.approx(
        roc_auc_score(scores["churned"], scores["churn_probability"])
    )
    for baseline in report.baselines:
        assert baseline.metrics.roc_auc == pytest.approx(
            roc_auc_score(scores["churned"], scores[baseline.name])
        )
    assert report.baseline == max(report.baselines, key=lambda b: b.metrics.roc_auc)
    for metrics in (report.model, report.baselines[0].metrics):
        assert metrics.brier is not None
        assert 0.0 <= metrics.brier <= 1.0
        assert sum(b.count for b in metrics.reliability) == report.n_test
        for b in metrics.reliability:
            assert b.lower <= b.mean_predicted <= b.upper
    # Days are a ranking, not a probability: no Brier score, no reliability.
    recency = report.baselines[1].metrics
    assert (recency.brier, recency.reliability) == (None, ())


def test_customers_who_stopped_score_higher(
    report: ChurnBacktestReport,
    simulated: tuple[pd.DataFrame, pd.DataFrame, dict[str, float]],
) -> None:
    _, _, deaths = simulated
    test_day = (pd.Timestamp("2023-09-01") - START).days
    stopped = pd.Series(
        {c: deaths[c] < test_day for c in report.scores.index}, dtype=bool
    )
    risk = report.scores["churn_probability"]
    assert risk[stopped].mean() > risk[~stopped].mean() + 0.3


def test_importance_and_drivers(report: ChurnBacktestReport) -> None:
    importance = report.feature_importance
    assert list(importance.columns) == ["mean", "std"]
    # What tells a silent stop in this simulation: the time since the last
    # purchase, and the complaint half of the stoppers make before they go.
    top = set(importance.index[:4])
    assert top & {"days_since_last_purchase", "overdue_ratio"}
    assert top & {"complaints", "complaints_30d", "complaints_90d"}
    assert float(importance["mean"]["complaints"]) > 0.0
    riskiest = report.scores["churn_probability"].idxmax()
    drivers = report.top_drivers(riskiest)
    assert len(drivers) == 3
    assert drivers[0][1] >= drivers[1][1] >= drivers[2][1]
    as_dict = report.to_dict(at_risk=5)
    json.dumps(as_dict)
    assert as_dict["baseline"]["name"] == report.baseline.name
    assert [b["name"] for b in as_dict["baselines"]] == [
        "btyd_no_purchase",
        "days_since_last_purchase",
    ]
    assert as_dict["beats_baseline"] == (
        report.model.roc_auc > report.baseline.metrics.roc_auc
    )
    assert as_dict["verdict"] == report.verdict.to_dict()
    assert as_dict["calibration"] == "sigmoid"
    assert as_dict["model"]["roc_auc"] == report.model.roc_auc
    assert [row["customer_id"] for row in as_dict["at_risk"]] == list(
        report.scores["churn_probability"]
        .sort_values(ascending=False, kind="stable")
        .index[:5]
        .astype(str)
    )


def test_contributions_are_zero_at_the_reference(
    simulated: tuple[pd.DataFrame, pd.DataFrame, dict[str, float]],
) -> None:
    transactions, _, _ = simulated
    model = _classifier(interaction_kind_col=None).fit(
        transactions, cutoff="2023-06-01", observation_end="2023-09-01"
    )
    typical = model.reference_.to_frame().T
    typical.index = pd.Index(["typical"])
    assert (model.contributions(typical).to_numpy() == 0.0).all()
    # The same features give the same score, and fitting again gives the same model.
    again = _classifier(interaction_kind_col=None).fit(
        transactions, cutoff="2023-06-01", observation_end="2023-09-01"
    )
    first = model.predict_proba(transactions, cutoff="2023-09-01")
    pd.testing.assert_series_equal(
        first, again.predict_proba(transactions, cutoff="2023-09-01")
    )
    known = transactions[transactions["at"] < pd.Timestamp("2023-06-02")]
    assert model.n_customers_ == known["customer"].nunique()


def test_labels_by_hand() -> None:
    transactions = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "c", "d"],
            "date": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-31 23:00",  # on the cut-off: the past, not the future
                    "2024-01-05",
                    "2024-03-01",  # cut-off + 30 days: inside the horizon
                    "2024-01-20",
                    "2024-02-15",  # first purchase after the cut-off: not known yet
                ],
                format="ISO8601",
            ),
        }
    )
    features, labels = ChurnClassifier(horizon_days=30).labelled(
        transactions, cutoff="2024-01-31"
    )
    assert labels.to_dict() == {"a": 1, "b": 0, "c": 1}
    assert features.loc["a", "days_since_last_purchase"] == 0
    assert features.loc["b", "T"] == 26


def test_auc_by_ranks_equals_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 300)
    scores = np.round(rng.uniform(size=300), 1)  # many ties
    assert _roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))


def _tiny() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-03-01", "2024-01-02", "2024-04-30"]
            ),
        }
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: ChurnClassifier(customer_col="who").fit(
                _tiny(), cutoff="2024-01-31"
            ),
            "column 'who' is missing",
        ),
        (
            lambda: ChurnClassifier(horizon_days=0).fit(_tiny(), cutoff="2024-01-31"),
            "horizon_days: 0 is not a positive number of days",
        ),
        (
            lambda: ChurnClassifier().fit(_tiny(), cutoff="2024-03-01"),
            "cutoff: 2024-03-01 + 90 days (2024-05-30) is after the end of the data "
            "(2024-04-30)",
        ),
        (
            lambda: ChurnClassifier(horizon_days=30).fit(_tiny(), cutoff="2023-12-01"),
            "cutoff: no customer has bought by 2023-12-01",
        ),
        (
            lambda: ChurnClassifier(horizon_days=30).fit(_tiny(), cutoff="2024-03-15"),
            "cutoff: every customer churned in the 30 days after 2024-03-15; "
            "there is nothing to learn",
        ),
        (
            lambda: ChurnClassifier().fit(_tiny(), cutoff="someday"),
            "cutoff: cannot read 'someday' as a date (use YYYY-MM-DD)",
        ),
        (
            lambda: ChurnClassifier().fit([1, 2], cutoff="2024-01-01"),
            "expected a DataFrame or an Ibis table, got list",
        ),
        (
            lambda: ChurnClassifier().predict_proba(_tiny(), cutoff="2024-01-31"),
            "ChurnClassifier is not fitted yet: call fit first",
        ),
        (
            lambda: backtest(
                _tiny(),
                train_cutoff="2024-01-31",
                test_cutoff="2024-02-15",
                classifier=ChurnClassifier(horizon_days=30),
            ),
            "train_cutoff: 2024-01-31 + 30 days (2024-03-01) is after test_cutoff "
            "(2024-02-15)",
        ),
        (
            lambda: ChurnClassifier(horizon_days=30).fit(
                _tiny(),
                cutoff="2024-01-31",
                interactions=_tiny().rename(columns={"date": "when"}),
            ),
            "column 'date' is missing",
        ),
    ],
)
def test_bad_input_messages(call: Any, message: str) -> None:
    with pytest.raises(AnalyticsInputError) as caught:
        call()
    assert str(caught.value) == message


def test_everyone_bought_again() -> None:
    transactions = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "c"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-02-01", "2024-01-02", "2024-02-02", "2024-03-01"]
            ),
        }
    )
    with pytest.raises(AnalyticsInputError) as caught:
        ChurnClassifier(horizon_days=30).fit(transactions, cutoff="2024-01-15")
    assert str(caught.value) == (
        "cutoff: every customer bought again in the 30 days after 2024-01-15; "
        "there is nothing to learn"
    )


@pytest.fixture(scope="module")
def cdnow_churn() -> ChurnBacktestReport:
    """The command line's default backtest on the full CDNOW file: test cut-off
    90 days before the last purchase day (1998-04-01), training 90 days
    earlier."""
    checked = Transactions.from_frame(
        cdnow.master(),
        customer_col="customer",
        datetime_col="date",
        amount_col="amount",
        date_format="%Y%m%d",
    )
    return churn_report(checked, horizon_days=90)


@pytest.mark.slow
def test_on_cdnow_the_classifier_ranks_no_worse_than_fair_baselines(
    cdnow_churn: ChurnBacktestReport,
) -> None:
    report = cdnow_churn
    assert (report.train_cutoff.isoformat(), report.test_cutoff.isoformat()) == (
        "1998-01-01",
        "1998-04-01",
    )
    # The recency rule computed here from the file, independently of the report.
    full = cdnow.master()
    days = pd.to_datetime(full["date"], format="%Y%m%d")
    cutoff, end = pd.Timestamp("1998-04-01"), pd.Timestamp("1998-06-30")
    known = full[days <= cutoff].assign(day=days)
    last = known.groupby("customer")["day"].max()
    came_back = set(full.loc[(days > cutoff) & (days <= end), "customer"])
    churned = pd.Series([c not in came_back for c in last.index], index=last.index)
    recency = roc_auc_score(churned, (cutoff - last).dt.days)
    assert recency == pytest.approx(report.baselines[1].metrics.roc_auc)
    # Not the straw man: 1 - P(alive) ranked at 0.34 here; fair ones near 0.83.
    assert min(b.metrics.roc_auc for b in report.baselines) > 0.8
    assert report.model.roc_auc >= max(b.metrics.roc_auc for b in report.baselines)
    assert report.beats_baseline
    assert report.verdict.en.startswith("The classifier ranks churners better")


@pytest.mark.slow
def test_on_cdnow_the_classifier_is_calibrated(
    cdnow_churn: ChurnBacktestReport,
) -> None:
    large = [b for b in cdnow_churn.model.reliability if b.count >= 200]
    assert sum(b.count for b in large) > 0.9 * cdnow_churn.n_test
    assert max(abs(b.mean_predicted - b.observed_rate) for b in large) <= 0.05


def test_the_verdict_says_so_when_the_classifier_does_not_beat_the_baseline(
    report: ChurnBacktestReport,
) -> None:
    from dataclasses import replace

    worse = replace(
        report, model=replace(report.model, roc_auc=report.baseline.metrics.roc_auc)
    )
    assert not worse.beats_baseline
    best = report.baseline
    assert worse.verdict.en == (
        f"The classifier does not beat the best baseline ({best.label_en}): "
        f"ROC-AUC {best.metrics.roc_auc:.4f} against {best.metrics.roc_auc:.4f}; "
        "rank customers by the baseline instead."
    )
    assert worse.verdict.zh.startswith(f"分类器未能超过最佳基线（{best.label_zh}）")
    assert worse.to_dict()["beats_baseline"] is False


def test_tree_contributions_equal_the_literal_substitution(
    simulated: tuple[pd.DataFrame, pd.DataFrame, dict[str, float]],
) -> None:
    transactions, interactions, _ = simulated
    model = _classifier().fit(
        transactions,
        cutoff="2023-06-01",
        observation_end="2023-09-01",
        interactions=interactions,
    )
    features = model._features(
        model._inputs(transactions, interactions), dt.date(2023, 9, 1)
    )
    # Some values missing: they take the trees' missing-value branch.
    features.loc[features.index[::9], "overdue_ratio"] = np.nan
    fast = model.contributions(features)
    literal = model._substituted(
        model._matrix(features), features.index, list(model.feature_names_)
    )
    assert model.calibration_ == "sigmoid"
    # The tree path ran (it answers None for models it cannot read).
    columns = list(range(len(model.feature_names_)))
    reference = [float(v) for v in model.reference_]
    matrix = model._matrix(features)
    assert tree_contributions(model.model_, matrix, columns, reference) is not None
    assert list(fast.columns) == list(literal.columns)
    # The tree path adds leaves in another order: equal to the last bits.
    np.testing.assert_allclose(fast.to_numpy(), literal.to_numpy(), rtol=0, atol=1e-12)
    # Customers whose paths do not change get exactly zero, as literally.
    assert ((fast.to_numpy() == 0.0) == (literal.to_numpy() == 0.0)).all()
    assert (fast.to_numpy() != 0.0).sum() > len(features)


def test_predict_explained_equals_the_risk_and_the_contributions_of_the_risky(
    simulated: tuple[pd.DataFrame, pd.DataFrame, dict[str, float]],
) -> None:
    transactions, interactions, _ = simulated
    model = _classifier().fit(
        transactions,
        cutoff="2023-06-01",
        observation_end="2023-09-01",
        interactions=interactions,
    )
    features = model._features(
        model._inputs(transactions, interactions), dt.date(2023, 9, 1)
    )
    features.loc[features.index[::9], "overdue_ratio"] = np.nan
    only = ["days_since_last_purchase", "overdue_ratio", "frequency"]
    risk, contributions = model.predict_explained(features, only=only, from_risk=0.5)
    expected_risk = model.predict_features(features)
    # The same numbers to the last bit: one pass gives what two calls gave.
    assert risk.equals(expected_risk)
    risky = expected_risk.index[(expected_risk >= 0.5).to_numpy()]
    assert 0 < len(risky) < len(features)
    expected = model.contributions(features.loc[risky], only=only)
    assert contributions.equals(expected)


def _small_business(rows: int = 12) -> tuple[pd.DataFrame, pd.Series]:
    """Features of a few customers: nobody bought twice (the mean gap has no
    value at all), and the complaints column has one value only."""
    rng = np.random.default_rng(3)
    features = pd.DataFrame(
        {
            "recency": rng.integers(1, 300, rows).astype(float),
            "frequency": np.ones(rows),
            "mean_gap": np.full(rows, np.nan),
            "complaints": [np.nan] * (rows - 1) + [1.0],
        },
        index=pd.Index(range(1, rows + 1), name="customer_id"),
    )
    labels = pd.Series([0, 1] * (rows // 2), index=features.index, dtype="int64")
    return features, labels


def test_a_small_business_with_features_nobody_has_gets_a_model() -> None:
    # The gradient-boosted trees cannot bin a column with no value, in the
    # whole set or in a calibration fold: scoring ten customers failed with
    # "window shape cannot be larger than input array shape".
    features, labels = _small_business()
    model = ChurnClassifier(horizon_days=30, random_state=0).fit_labelled(
        features, labels, cutoff="2024-01-31"
    )
    # Some fold's training part has no complaint value: calibration is left out.
    assert model.calibration_ == "none"
    risk = model.predict_features(features)
    assert len(risk) == len(features)
    assert risk.between(0, 1).all()


def test_a_small_business_with_nobody_at_risk_gets_no_reasons() -> None:
    # Without calibration the reasons are the literal substitution; with
    # nobody at risk it predicted an empty matrix, which the model refuses:
    # `guanxi start --demo` failed with "Found array with 0 sample(s)".
    features, labels = _small_business()
    model = ChurnClassifier(horizon_days=30, random_state=0).fit_labelled(
        features, labels, cutoff="2024-01-31"
    )
    assert model.calibration_ == "none"
    only = ["recency", "frequency"]
    risk, reasons = model.predict_explained(features, only=only, from_risk=1.01)
    assert risk.equals(model.predict_features(features))
    assert reasons.empty
    assert list(reasons.columns) == only
    risk, reasons = model.predict_explained(features, only=only, from_risk=0.0)
    assert reasons.equals(model.contributions(features, only=only))
    assert len(reasons) == len(features)


def test_calibration_stays_when_every_fold_has_values() -> None:
    features, labels = _small_business(rows=40)
    features["complaints"] = np.arange(40, dtype=float)
    model = ChurnClassifier(horizon_days=30, random_state=0).fit_labelled(
        features, labels, cutoff="2024-01-31"
    )
    assert model.calibration_ == "sigmoid"
