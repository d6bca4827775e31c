"""The CLV models reproduce the published CDNOW estimates on the standard split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from guanxi.analytics import AnalyticsInputError, BetaGeo, GammaGamma, ParetoNBD
from guanxi.analytics.summary import rfm_summary, summarise
from guanxi.analytics.tests import cdnow
from guanxi.analytics.transactions import Transactions


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    return cdnow.sample()


@pytest.fixture(scope="module")
def summary(transactions: pd.DataFrame) -> pd.DataFrame:
    return rfm_summary(
        transactions,
        customer_col="customer",
        datetime_col="date",
        amount_col="amount",
        observation_end="1998-06-30",
        calibration_end="1997-09-30",
        time_unit="W",
    )


@pytest.fixture(scope="module")
def bgnbd(summary: pd.DataFrame) -> BetaGeo:
    model = BetaGeo().fit(summary)
    assert isinstance(model, BetaGeo)
    return model


def test_split_totals(summary: pd.DataFrame) -> None:
    assert len(summary) == 2357
    assert summary["frequency"].sum() == 2457
    assert summary["frequency_holdout"].sum() == 1882
    assert (summary["frequency"] > 0).sum() == 946
    assert summary["T"].max() == 272 / 7  # 1997-01-01 to 1997-09-30
    assert summary["duration_holdout"].unique().tolist() == [39.0]


def test_weeks_are_days_over_seven(
    transactions: pd.DataFrame, summary: pd.DataFrame
) -> None:
    days = rfm_summary(
        transactions,
        customer_col="customer",
        datetime_col="date",
        amount_col="amount",
        observation_end="1998-06-30",
        calibration_end="1997-09-30",
        time_unit="D",
    )
    for column in ("recency", "T", "duration_holdout"):
        pd.testing.assert_series_equal(days[column] / 7, summary[column])


def test_bgnbd_published_estimates(bgnbd: BetaGeo) -> None:
    assert round(bgnbd.log_likelihood_, 2) == -9582.43
    params = {name: round(value, 4) for name, value in bgnbd.params_.items()}
    assert params == {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}
    errors = {name: round(value, 3) for name, value in bgnbd.standard_errors_.items()}
    assert errors == {"r": 0.013, "alpha": 0.378, "a": 0.186, "b": 0.705}


def test_hardie_worked_value(bgnbd: BetaGeo) -> None:
    value = bgnbd.expected_purchases(39, 2, 30.43, 38.86)
    assert round(float(value), 3) == 1.226


def test_paretonbd_published_estimates(summary: pd.DataFrame) -> None:
    model = ParetoNBD().fit(summary)
    assert round(model.log_likelihood_, 2) == -9594.98
    assert round(model.params_["r"], 3) == 0.553
    assert round(model.params_["alpha"], 3) == 10.578
    # The likelihood is flat in s and beta: only loosely comparable.
    assert model.params_["s"] == pytest.approx(0.606, rel=0.02)
    assert model.params_["beta"] == pytest.approx(11.669, rel=0.02)


def test_gamma_gamma_published_estimates(summary: pd.DataFrame) -> None:
    model = GammaGamma().fit(summary)
    assert model.n_customers_ == 946
    params = {name: round(value, 2) for name, value in model.params_.items()}
    assert params == {"p": 6.25, "q": 3.74, "v": 15.44}


def test_the_full_file_as_its_readme_describes_it() -> None:
    full = cdnow.master()
    assert list(full.columns) == ["customer", "date", "cds", "amount"]
    assert len(full) == 69_659
    assert full["customer"].nunique() == 23_570
    assert int((full["amount"] == 0).sum()) == 80
    assert int((full["amount"] < 0).sum()) == 0
    assert (full["date"].min(), full["date"].max()) == ("19970101", "19980630")


def test_clv_is_the_same_in_days_and_in_weeks(transactions: pd.DataFrame) -> None:
    checked = Transactions.from_frame(
        transactions, customer_col="customer", datetime_col="date", amount_col="amount"
    )
    values = {}
    for unit in ("D", "W"):
        summary = summarise(checked, calibration_end="1997-09-30", time_unit=unit)
        purchases, spend = BetaGeo().fit(summary), GammaGamma().fit(summary)
        assert (purchases.time_unit_, spend.time_unit_) == (unit, unit)
        values[unit] = purchases.clv(spend, summary, months=12)
    # The same 12 months of 30 days whatever the unit (α scales with it).
    np.testing.assert_allclose(values["D"], values["W"], rtol=1e-5)


def test_clv_refuses_a_summary_in_another_unit(transactions: pd.DataFrame) -> None:
    checked = Transactions.from_frame(
        transactions, customer_col="customer", datetime_col="date", amount_col="amount"
    )
    weeks = summarise(checked, calibration_end="1997-09-30", time_unit="W")
    days = summarise(checked, calibration_end="1997-09-30", time_unit="D")
    purchases, spend = BetaGeo().fit(weeks), GammaGamma().fit(weeks)
    with pytest.raises(AnalyticsInputError) as caught:
        purchases.clv(spend, days)
    assert str(caught.value) == (
        "summary: durations in days, but BetaGeo was fitted on durations in weeks"
    )
