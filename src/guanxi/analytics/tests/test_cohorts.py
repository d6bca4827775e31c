"""Cohort retention, repurchase rate and revenue on a hand-checked frame."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from guanxi.analytics.cohorts import cohort_revenue, repurchase_rate, retention_table
from guanxi.analytics.errors import AnalyticsInputError

NA = np.nan


def transactions() -> pd.DataFrame:
    rows = [
        ("a", "2024-01-05", 10.0),
        ("a", "2024-01-05", 5.0),  # same day: one purchase
        ("a", "2024-02-10", 20.0),
        ("a", "2024-04-01", 30.0),
        ("b", "2024-01-31", 100.0),
        ("b", "2024-02-01", 50.0),  # next calendar month, one day later
        ("c", "2024-02-15", 40.0),
        ("d", "2024-02-20", 10.0),
        ("d", "2024-02-25", 5.0),
        ("d", "2024-03-02", 8.0),
        ("e", "2024-04-10", 70.0),
    ]
    frame = pd.DataFrame(rows, columns=["customer", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


COLUMNS: dict[str, Any] = {"customer_col": "customer", "datetime_col": "date"}


def assert_cells(table: pd.DataFrame, expected: list[list[float]]) -> None:
    np.testing.assert_array_equal(
        table.astype(float).to_numpy(na_value=NA), np.array(expected, dtype=float)
    )


def test_retention_counts_by_cohort_and_month() -> None:
    table = retention_table(transactions(), **COLUMNS)
    # No March cohort: nobody bought for the first time in March.
    assert [str(p) for p in table.index] == ["2024-01", "2024-02", "2024-04"]
    assert table.index.name == "cohort"
    assert [int(c) for c in table.columns] == [0, 1, 2, 3]
    assert table.columns.name == "months_since_first"
    assert str(table.dtypes.iloc[0]) == "Int64"
    assert_cells(
        table,
        [
            [2, 2, 0, 1],
            [2, 1, 0, NA],  # April observed; May would not be
            [1, NA, NA, NA],
        ],
    )


def test_retention_rates_are_shares_of_the_cohort() -> None:
    rates = retention_table(transactions(), **COLUMNS, rates=True)
    assert_cells(rates, [[1.0, 1.0, 0.0, 0.5], [1.0, 0.5, 0.0, NA], [1.0, NA, NA, NA]])


def test_later_observation_end_opens_more_months() -> None:
    table = retention_table(transactions(), **COLUMNS, observation_end="2024-05-31")
    assert_cells(
        table,
        [[2, 2, 0, 1, 0], [2, 1, 0, 0, NA], [1, 0, NA, NA, NA]],
    )


def test_repurchase_rate_counts_later_days_only() -> None:
    result = repurchase_rate(transactions(), **COLUMNS)
    assert [str(p) for p in result.index] == ["2024-01", "2024-02", "2024-04"]
    assert result["customers"].tolist() == [2, 2, 1]
    assert result["repeat_customers"].tolist() == [2, 1, 0]
    assert result["repurchase_rate"].tolist() == [1.0, 0.5, 0.0]


def test_repurchase_within_days_counts_fully_observed_customers() -> None:
    # End 10 April: customers first seen after 11 March are too recent for 30 days.
    result = repurchase_rate(transactions(), **COLUMNS, within_days=30)
    assert [str(p) for p in result.index] == ["2024-01", "2024-02"]
    assert result["customers"].tolist() == [2, 2]
    # a came back after 36 days (too late), b after 1, d after 5.
    assert result["repeat_customers"].tolist() == [1, 1]
    assert result["repurchase_rate"].tolist() == [0.5, 0.5]


def test_revenue_per_cohort_and_month() -> None:
    revenue = cohort_revenue(transactions(), **COLUMNS, amount_col="amount")
    assert_cells(
        revenue,
        [[115.0, 70.0, 0.0, 30.0], [55.0, 8.0, 0.0, NA], [70.0, NA, NA, NA]],
    )


def test_cumulative_revenue_per_customer() -> None:
    revenue = cohort_revenue(
        transactions(),
        **COLUMNS,
        amount_col="amount",
        cumulative=True,
        per_customer=True,
    )
    assert_cells(
        revenue,
        [[57.5, 92.5, 92.5, 107.5], [27.5, 31.5, 31.5, NA], [70.0, NA, NA, NA]],
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda t: retention_table(t.drop(columns="date"), **COLUMNS),
            "column 'date' is missing",
        ),
        (
            lambda t: retention_table(t, **COLUMNS, observation_end="2024-04-09"),
            "column 'date', row 11: purchase after the observation end (2024-04-10T00:00:00)",
        ),
        (
            lambda t: retention_table(t, **COLUMNS, observation_end="soon"),
            "observation_end: cannot read 'soon' as a date (use YYYY-MM-DD)",
        ),
        (
            lambda t: cohort_revenue(t, **COLUMNS, amount_col="price"),
            "column 'price' is missing",
        ),
        (
            lambda t: cohort_revenue(
                t.assign(amount=t["amount"].where(t.index != 3, None)),
                **COLUMNS,
                amount_col="amount",
            ),
            "column 'amount', row 4: missing amount (empty)",
        ),
        (
            lambda t: repurchase_rate(t, **COLUMNS, within_days=0),
            "within_days must be at least 1",
        ),
        (lambda t: repurchase_rate(t.iloc[:0], **COLUMNS), "transactions: no rows"),
    ],
)
def test_bad_input(call: Callable[[pd.DataFrame], object], message: str) -> None:
    with pytest.raises(AnalyticsInputError) as error:
        call(transactions())
    assert str(error.value) == message
