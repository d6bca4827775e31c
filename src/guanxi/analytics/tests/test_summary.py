"""rfm_summary: per-customer frequency, recency, T, monetary value and holdout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from guanxi.analytics import AnalyticsInputError, rfm_summary


def _transactions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer": ["a", "a", "a", "a", "b", "c", "c"],
            "when": [
                "2024-01-01 09:00",
                "2024-01-01 18:30",  # same day: one purchase, amounts added
                "2024-01-08 10:00",
                "2024-01-15 10:00",
                "2024-01-05 12:00",
                "2024-01-10 08:00",
                "2024-02-10 08:00",  # after the calibration end
            ],
            "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 3.0, 9.0],
        }
    )


def _summary(frame: object, **options: object) -> pd.DataFrame:
    arguments: dict[str, object] = {
        "customer_col": "customer",
        "datetime_col": "when",
        "amount_col": "amount",
        "observation_end": "2024-02-29",
    }
    arguments.update(options)
    return rfm_summary(frame, **arguments)  # type: ignore[arg-type]


def test_days() -> None:
    summary = _summary(_transactions())
    expected = pd.DataFrame(
        {
            "frequency": [2.0, 0.0, 1.0],
            "recency": [14.0, 0.0, 31.0],
            "T": [59.0, 55.0, 50.0],
            "monetary_value": [30.0, 0.0, 9.0],
        },
        index=pd.Index(["a", "b", "c"], name="customer"),
    )
    pd.testing.assert_frame_equal(summary, expected)


def test_free_items_and_refunds_are_kept() -> None:
    # a: 15 on the first day, a free item, then a refund of 25 after 40;
    # c: a purchase of 9 refunded the same day.
    frame = _transactions().assign(amount=[10.0, 5.0, 0.0, 40.0, 7.0, 3.0, 9.0])
    refunds = pd.DataFrame(
        {"customer": ["a", "c"], "when": ["2024-01-15 18:00", "2024-02-10 09:00"]}
    ).assign(amount=[-25.0, -9.0])
    summary = _summary(pd.concat([frame, refunds]), calibration_end="2024-01-31")
    assert summary["frequency"].tolist() == [2.0, 0.0, 0.0]
    # Repeat days: 0 and 40 - 25; the refunded purchase is worth nothing.
    assert summary["monetary_value"].tolist() == [7.5, 0.0, 0.0]
    assert summary["frequency_holdout"].tolist() == [0.0, 0.0, 1.0]
    assert summary["monetary_value_holdout"].tolist() == [0.0, 0.0, 0.0]


def test_weeks_are_fractional_days_over_seven() -> None:
    days = _summary(_transactions())
    weeks = _summary(_transactions(), time_unit="W")
    for column in ("recency", "T"):
        np.testing.assert_array_equal(weeks[column], days[column] / 7)
    assert weeks.loc["b", "T"] == 55 / 7


def test_calibration_and_holdout() -> None:
    summary = _summary(_transactions(), calibration_end="2024-01-31")
    assert summary.columns.tolist() == [
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "frequency_holdout",
        "monetary_value_holdout",
        "duration_holdout",
    ]
    assert list(summary.loc["c"]) == [0.0, 0.0, 21.0, 0.0, 1.0, 9.0, 29.0]
    assert list(summary.loc["a"]) == [2.0, 14.0, 30.0, 30.0, 0.0, 0.0, 29.0]
    assert summary.dtypes.unique().tolist() == [np.dtype("float64")]


def test_customers_first_seen_after_calibration_are_left_out() -> None:
    late = pd.DataFrame({"customer": ["d"], "when": ["2024-02-20"], "amount": [1.0]})
    frame = pd.concat([_transactions(), late], ignore_index=True)
    summary = _summary(frame, calibration_end="2024-01-31")
    assert summary.index.tolist() == ["a", "b", "c"]


def test_without_amounts_monetary_value_is_zero() -> None:
    summary = _summary(_transactions(), amount_col=None)
    assert summary["monetary_value"].tolist() == [0.0, 0.0, 0.0]
    assert summary["frequency"].tolist() == [2.0, 0.0, 1.0]


def test_datetime_column_and_timezones() -> None:
    frame = _transactions()
    frame["when"] = pd.to_datetime(frame["when"]).dt.tz_localize("Asia/Shanghai")
    pd.testing.assert_frame_equal(_summary(frame), _summary(_transactions()))


def test_file_path_is_summarised_in_database(tmp_path: Path) -> None:
    path = tmp_path / "transactions.csv"
    _transactions().to_csv(path, index=False)
    from_file = _summary(str(path), calibration_end="2024-01-31")
    expected = _summary(_transactions(), calibration_end="2024-01-31")
    pd.testing.assert_frame_equal(from_file, expected)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: f.drop(columns="amount"),
            "column 'amount' is missing",
        ),
        (
            lambda f: f.assign(customer=["a", "a", None, "a", "b", "c", "c"]),
            "column 'customer', row 3: missing customer id (empty)",
        ),
        (
            lambda f: f.assign(
                when=["2024-01-01", "2024-01-01", "2024-01-08", "soon", *f["when"][4:]]
            ),
            "column 'when', row 4: missing or unparsable date (soon)",
        ),
        (
            lambda f: f.assign(when=[*f["when"][:5], "2024-03-01 00:10", "2024-03-02"]),
            "column 'when', row 6: purchase after the observation end "
            "(2024-03-01 00:10)",
        ),
        (
            lambda f: f.assign(amount=[10.0, 5.0, np.nan, 40.0, 7.0, 3.0, 9.0]),
            "column 'amount', row 3: missing amount (empty)",
        ),
        (
            lambda f: f.assign(amount=["10", "5", "2", "x", "7", "3", "9"]),
            "column 'amount', row 4: missing amount (x)",
        ),
        (
            lambda f: f.assign(when=range(7)),
            "column 'when' does not hold dates",
        ),
    ],
)
def test_bad_transactions(change: object, message: str) -> None:
    frame = change(_transactions())  # type: ignore[operator]
    before = frame.copy()
    with pytest.raises(AnalyticsInputError) as caught:
        _summary(frame)
    assert str(caught.value) == message
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"time_unit": "M"}, "time_unit: 'M' is not one of D, W"),
        (
            {"observation_end": "someday"},
            "observation_end: cannot read 'someday' as a date (use YYYY-MM-DD)",
        ),
        (
            {"calibration_end": "2024-03-01"},
            "calibration_end: must not be after observation_end "
            "(2024-03-01 > 2024-02-29)",
        ),
    ],
)
def test_bad_options(options: dict[str, object], message: str) -> None:
    with pytest.raises(AnalyticsInputError) as caught:
        _summary(_transactions(), **options)
    assert str(caught.value) == message


def test_not_a_frame() -> None:
    with pytest.raises(AnalyticsInputError) as caught:
        _summary([1, 2, 3])
    assert str(caught.value) == (
        "transactions: expected a pandas DataFrame, a file path or an Ibis table, "
        "got list"
    )


def test_is_a_value_error() -> None:
    assert issubclass(AnalyticsInputError, ValueError)
