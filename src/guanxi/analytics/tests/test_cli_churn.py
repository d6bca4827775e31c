"""``guanxi analyze churn``: the classifier beside its baselines on
simulated orders, the observed horizon it needs, and the old horizon
option."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from guanxi.analytics.tests.cli_runs import HAND_COLUMNS, run


def simulated_orders(customers: int = 200) -> pd.DataFrame:
    """Customers who buy every few weeks until they quit (fixed seed)."""
    rng = np.random.default_rng(11)
    start, end = pd.Timestamp("2023-01-01"), pd.Timestamp("2024-06-30")
    rows = []
    for number in range(customers):
        day = start + pd.Timedelta(days=int(rng.integers(0, 120)))
        quits = day + pd.Timedelta(days=int(rng.exponential(250)))
        rhythm = float(rng.uniform(10, 60))
        while day <= min(quits, end):
            rows.append(
                (f"C{number:04d}", day.date().isoformat(), round(rng.gamma(2, 40), 2))
            )
            day += pd.Timedelta(days=max(1, int(rng.exponential(rhythm))))
    return pd.DataFrame(rows, columns=["customer", "date", "amount"])


@pytest.mark.slow
def test_churn_reports_classifier_and_baseline_side_by_side(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from sklearn.metrics import average_precision_score, roc_auc_score

    orders = simulated_orders()
    path = tmp_path / "orders.csv"
    orders.to_csv(path, index=False)
    out = tmp_path / "churn.parquet"
    argv: list[str | Path] = ["churn", path, *HAND_COLUMNS, "--amount-col", "amount"]
    argv += ["--observation-end", "2024-06-30", "--horizon-days", "60", "--out", out]
    code, text, _ = run(capsys, *argv)
    assert code == 0
    lines = text.splitlines()
    # Test cut-off: the end minus the horizon; training one horizon earlier.
    assert "训练截止 2024-03-02" in lines[1]
    assert "测试截止 2024-05-01" in lines[1]
    scores = pd.read_parquet(out).set_index("customer_id")
    baselines = ["btyd_no_purchase", "days_since_last_purchase"]
    assert list(scores.columns) == ["churn_probability", *baselines, "churned"]
    # Labels by hand: known by the test cut-off, no purchase in the 60 days after.
    dates = pd.to_datetime(orders["date"])
    cutoff, end = pd.Timestamp("2024-05-01"), pd.Timestamp("2024-06-30")
    known = set(orders.loc[dates <= cutoff, "customer"])
    ahead = set(orders.loc[(dates > cutoff) & (dates <= end), "customer"])
    assert set(scores.index) == known
    expected = pd.Series({c: int(c not in ahead) for c in known}).sort_index()
    assert scores["churned"].sort_index().tolist() == expected.tolist()
    # The printed metrics, side by side, are those of the written scores.
    labels = scores["churned"]
    for name, metric in (
        ("ROC-AUC", roc_auc_score),
        ("PR-AUC", average_precision_score),
    ):
        row = next(line for line in lines if line.startswith(name))
        assert row.split()[1:] == [
            f"{metric(labels, scores[name]):.4f}"
            for name in ["churn_probability", *baselines]
        ]
    # One sentence in each language says whether it beats the best baseline.
    verdict = next(line for line in lines if line.startswith("The classifier"))
    assert " the best baseline (" in verdict
    assert lines[lines.index(verdict) + 1].startswith("分类器")


def test_churn_needs_an_observed_horizon(
    capsys: pytest.CaptureFixture[str], hand_csv: Path
) -> None:
    code, out, err = run(
        capsys, "churn", hand_csv, *HAND_COLUMNS, "--horizon-days", "60"
    )
    assert (code, out) == (2, "")
    # End 31 March: test cut-off 31 January, training cut-off 2 December 2023,
    # before anybody had bought.
    assert err == "error: cutoff: no customer has bought by 2023-12-02\n"


@pytest.mark.parametrize(
    ("command", "option", "english", "chinese"),
    [
        ("clv", "--horizon-months", "months", "月"),
        ("churn", "--horizon-days", "days", "天"),
    ],
)
def test_the_old_horizon_option_still_works_with_a_warning(
    capsys: pytest.CaptureFixture[str],
    hand_csv: Path,
    tmp_path: Path,
    command: str,
    option: str,
    english: str,
    chinese: str,
) -> None:
    path, value = hand_csv, "10"
    if command == "churn":
        path, value = tmp_path / "orders.csv", "60"
        simulated_orders().to_csv(path, index=False)
    argv: list[str | Path] = [command, path, *HAND_COLUMNS, "--amount-col", "amount"]
    old_code, old_out, old_err = run(capsys, *argv, "--horizon", value, "--json")
    new_code, new_out, new_err = run(capsys, *argv, option, value, "--json")
    assert (old_code, new_code, new_err) == (0, 0, "")
    assert old_err == (
        f"warning: --horizon is deprecated: use {option} (here {english})\n"
        f"警告：--horizon 已弃用，请改用 {option}（此处单位：{chinese}）\n"
    )
    assert json.loads(old_out) == json.loads(new_out)
    key = "horizon_months" if command == "clv" else "horizon_days"
    assert json.loads(new_out)[key] == int(value)
