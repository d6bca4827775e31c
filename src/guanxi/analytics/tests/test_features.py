"""Ibis feature definitions on DuckDB: files, agreement with pandas, bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest

from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.features import (
    connect_duckdb,
    customer_features,
    features_from_days,
    interaction_features,
    purchase_days,
    read_transactions,
)
from guanxi.analytics.summary import rfm_summary
from guanxi.analytics.summary_ibis import rfm_summary_ibis
from guanxi.analytics.tests import cdnow as cdnow_data


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    frame = cdnow_data.sample()
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


def _small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer": ["a", "a", "a", "b", "c"],
            "at": pd.to_datetime(
                [
                    "2024-01-01 08:00",
                    "2024-01-01 21:00",
                    "2024-01-08 10:00",
                    "2024-01-05 00:00",
                    "2024-01-10 23:59",
                ]
            ),
            "amount": [1.5, 2.5, 7.0, 3.0, 4.0],
        }
    )


@pytest.mark.parametrize("time_unit", ["D", "W"])
@pytest.mark.parametrize("backend", ["duckdb", "sqlite"])
def test_cdnow_summary_agrees_with_pandas(
    cdnow: pd.DataFrame, time_unit: str, backend: str
) -> None:
    # DuckDB takes its own path (the first day's spend by arg_min, the last
    # day from the latest timestamp), SQLite the portable one (a join, every
    # row's date): both give the pandas summary.
    options = {
        "customer_col": "customer",
        "datetime_col": "date",
        "amount_col": "amount",
        "observation_end": "1998-06-30",
        "calibration_end": "1997-09-30",
        "time_unit": time_unit,
    }
    expected = rfm_summary(cdnow, **options)  # type: ignore[arg-type]
    table = (
        ibis.memtable(cdnow)
        if backend == "duckdb"
        else ibis.sqlite.connect().create_table("cdnow", cdnow)
    )
    got = rfm_summary_ibis(table, **options)  # type: ignore[arg-type]
    assert len(got) == 2357
    assert got["frequency"].sum() == 2457
    # Sums of cents may be added in another order: equal to the last bits.
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("backend", ["duckdb", "sqlite"])
def test_free_items_and_refunds_agree_with_pandas(backend: str) -> None:
    # The full CDNOW file has 80 free items; make every 50th purchase a refund.
    full = cdnow_data.master()
    full["date"] = pd.to_datetime(full["date"], format="%Y%m%d")
    full.loc[::50, "amount"] *= -1
    options = {
        "customer_col": "customer",
        "datetime_col": "date",
        "amount_col": "amount",
        "observation_end": "1998-06-30",
        "calibration_end": "1997-09-30",
    }
    expected = rfm_summary(full, **options)  # type: ignore[arg-type]
    assert (expected["monetary_value"] <= 0).sum() > 0
    table = (
        ibis.memtable(full)
        if backend == "duckdb"
        else ibis.sqlite.connect().create_table("cdnow", full)
    )
    got = rfm_summary_ibis(table, **options)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)


def test_cdnow_summary_from_parquet_and_csv_files(
    cdnow: pd.DataFrame, tmp_path: Path
) -> None:
    parquet = tmp_path / "cdnow.parquet"
    cdnow.to_parquet(parquet)
    csv = tmp_path / "cdnow.csv"
    cdnow.assign(date=cdnow["date"].dt.strftime("%Y%m%d")).to_csv(csv, index=False)
    options = {
        "customer_col": "customer",
        "datetime_col": "date",
        "amount_col": "amount",
        "observation_end": "1998-06-30",
    }
    expected = rfm_summary(cdnow, **options)  # type: ignore[arg-type]
    from_parquet = rfm_summary(parquet, **options)  # type: ignore[arg-type]
    from_csv = rfm_summary_ibis(csv, date_format="%Y%m%d", **options)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(from_parquet, expected, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(from_csv, expected, check_exact=False, rtol=1e-12)


def test_features_by_hand() -> None:
    table = ibis.memtable(_small())
    got = (
        customer_features(
            table,
            observation_end="2024-01-10",
            customer_col="customer",
            datetime_col="at",
            amount_col="amount",
            windows=(3, 7),
        )
        .execute()
        .set_index("customer_id")
        .sort_index()
    )
    a = got.loc["a"]
    # Two purchases on Jan 1 are one purchase day of 4.0; then 7.0 on Jan 8.
    assert (a["purchase_days"], a["orders"], a["frequency"]) == (2, 3, 1)
    assert (a["recency"], a["T"], a["days_since_last_purchase"]) == (7, 9, 2)
    assert (a["total_spend"], a["monetary_value"]) == (11.0, 7.0)
    assert a["mean_order_value"] == pytest.approx(11.0 / 3)
    assert a["mean_interpurchase_days"] == 7.0
    # The 3-day window is Jan 8-10: Jan 8 is in, Jan 7 would not be.
    assert (a["orders_3d"], a["purchase_days_3d"], a["spend_3d"]) == (1, 1, 7.0)
    assert (a["orders_7d"], a["spend_7d"]) == (1, 7.0)
    b = got.loc["b"]
    assert (b["frequency"], b["recency"], b["T"], b["monetary_value"]) == (0, 0, 5, 0.0)
    assert (b["spend_7d"], b["spend_3d"]) == (3.0, 0.0)
    # c bought at 23:59 on the observation end day: T = 0, in every window.
    c = got.loc["c"]
    assert (c["T"], c["days_since_last_purchase"], c["orders_3d"]) == (0, 0, 1)


def test_features_ignore_purchases_after_the_end() -> None:
    got = customer_features(
        ibis.memtable(_small()),
        observation_end=dt.date(2024, 1, 4),
        customer_col="customer",
        datetime_col="at",
        amount_col="amount",
    ).execute()
    assert list(got["customer_id"]) == ["a"]
    assert int(got["orders"].iloc[0]) == 2


def test_a_holdout_counts_the_days_after_the_end_and_changes_nothing_else() -> None:
    """The churn model's training sample and its labels in one pass: the
    features at the end as without a holdout, and the days after it."""
    daily = purchase_days(
        ibis.memtable(_small()),
        customer_col="customer",
        datetime_col="at",
        amount_col="amount",
    )
    plain = features_from_days(daily, observation_end="2024-01-05", windows=(3,))
    held = features_from_days(
        daily, observation_end="2024-01-05", windows=(3,), holdout_end="2024-01-09"
    )
    got = held.execute().set_index("customer_id").sort_index()
    expected = plain.execute().set_index("customer_id").sort_index()
    # c bought only after the end: not a customer then.
    assert list(got.index) == ["a", "b"]
    pd.testing.assert_frame_equal(got[list(expected.columns)], expected)
    # a bought again on Jan 8 (7.0), b never did.
    assert got["holdout_days_"].to_dict() == {"a": 1, "b": 0}
    assert got["holdout_spend_"].to_dict() == {"a": 7.0, "b": 0.0}


def test_dates_held_as_text_and_as_dates() -> None:
    frame = _small()
    as_text = frame.assign(at=frame["at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    as_dates = frame.assign(at=frame["at"].dt.date)
    options = {
        "customer_col": "customer",
        "datetime_col": "at",
        "amount_col": "amount",
        "observation_end": "2024-01-31",
    }
    expected = rfm_summary_ibis(ibis.memtable(frame), **options)  # type: ignore[arg-type]
    for variant in (as_text, as_dates):
        got = rfm_summary_ibis(ibis.memtable(variant), **options)  # type: ignore[arg-type]
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_summary_without_amounts_and_in_weeks() -> None:
    got = rfm_summary_ibis(
        ibis.memtable(_small()),
        customer_col="customer",
        datetime_col="at",
        observation_end="2024-01-15",
        time_unit="W",
    )
    assert list(got.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert list(got.loc["a"]) == [1.0, 1.0, 2.0, 0.0]
    assert got.loc["b", "T"] == 10 / 7


def test_interaction_features() -> None:
    contacts = pd.DataFrame(
        {
            "who": ["a", "a", "a", "b", "b"],
            "when": pd.to_datetime(
                ["2024-01-01", "2024-01-25", "2024-01-30", "2023-10-01", "2024-02-02"]
            ),
            "kind": ["call", "complaint", "complaint", "complaint", "call"],
        }
    )
    got = (
        interaction_features(
            ibis.memtable(contacts),
            observation_end="2024-01-31",
            customer_col="who",
            datetime_col="when",
            kind_col="kind",
            windows=(7, 30),
        )
        .execute()
        .set_index("customer_id")
        .sort_index()
    )
    assert got.loc["a"].to_dict() == {
        "contacts": 3,
        "days_since_last_contact": 1,
        "complaints": 2,
        "contacts_7d": 2,
        "complaints_7d": 2,
        "contacts_30d": 2,
        "complaints_30d": 2,
    }
    assert got.loc["b", "days_since_last_contact"] == 122
    assert got.loc["b", "contacts_30d"] == 0


def test_read_transactions_parses_a_date_format(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("customer,day,amount\nx,03/02/2024,1.5\nx,05/02/2024,2\n")
    table = read_transactions(path, datetime_col="day", date_format="%d/%m/%Y")
    got = table.execute()
    assert [str(day)[:10] for day in got["day"]] == ["2024-02-03", "2024-02-05"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"amount": [1.5, 2.5, 7.0, None, 4.0]},
            "column 'amount', row 4: missing amount (empty)",
        ),
        (
            {"customer": ["a", None, "a", "b", "c"]},
            "column 'customer', row 2: missing customer id (empty)",
        ),
        (
            {
                "at": pd.to_datetime(
                    pd.Series(["2024-01-01", None, "2024-01-08", "2024-01-05", None])
                )
            },
            "column 'at', row 2: missing or unparsable date (empty)",
        ),
        (
            {
                "at": pd.to_datetime(
                    [
                        "2024-01-01",
                        "2024-01-01",
                        "2024-02-01 10:00",
                        "2024-01-05",
                        "2024-01-10",
                    ],
                    format="ISO8601",
                )
            },
            "column 'at', row 3: purchase after the observation end "
            "(2024-02-01T10:00:00)",
        ),
        (
            {
                "at": [
                    "2024-01-01 08:00:00",
                    "2024-01-31 23:59:59",
                    "2024-01-08 10:00:00",
                    "2024-02-01 00:00:00",
                    "2024-01-10 23:59:00",
                ]
            },
            "column 'at', row 4: purchase after the observation end "
            "(2024-02-01 00:00:00)",
        ),
    ],
)
@pytest.mark.parametrize("source", ["memtable", "parquet", "sqlite"])
def test_bad_rows_name_the_column_and_the_first_row(
    change: dict[str, Any], message: str, source: str, tmp_path: Path
) -> None:
    # DuckDB finds a problem from a Parquet file's statistics, SQLite from the
    # rows: both must report the same first offending row.
    frame = _small().assign(**change)
    table: Any
    if source == "memtable":
        table = ibis.memtable(frame)
    elif source == "parquet":
        table = tmp_path / "transactions.parquet"
        frame.to_parquet(table)
    else:
        # Ibis cannot insert NaT into SQLite: an empty date goes in as None.
        loaded = frame.astype(object).where(frame.notna(), None)
        table = ibis.sqlite.connect().create_table("transactions", loaded)
    with pytest.raises(AnalyticsInputError) as caught:
        rfm_summary_ibis(
            table,
            customer_col="customer",
            datetime_col="at",
            amount_col="amount",
            observation_end="2024-01-31",
        )
    assert str(caught.value) == message


def test_bad_arguments(tmp_path: Path) -> None:
    table = ibis.memtable(_small())
    cases = [
        ({"customer_col": "nobody"}, "column 'nobody' is missing"),
        ({"time_unit": "M"}, "time_unit: 'M' is not one of D, W"),
        (
            {"observation_end": "soon"},
            "observation_end: cannot read 'soon' as a date (use YYYY-MM-DD)",
        ),
        (
            {"calibration_end": "2024-03-01"},
            "calibration_end: must not be after observation_end "
            "(2024-03-01 > 2024-01-31)",
        ),
    ]
    for change, message in cases:
        options: dict[str, object] = {
            "customer_col": "customer",
            "datetime_col": "at",
            "amount_col": "amount",
            "observation_end": "2024-01-31",
            **change,
        }
        with pytest.raises(AnalyticsInputError) as caught:
            rfm_summary_ibis(table, **options)  # type: ignore[arg-type]
        assert str(caught.value) == message
    with pytest.raises(AnalyticsInputError) as caught:
        rfm_summary_ibis(
            tmp_path / "none.parquet",
            customer_col="c",
            datetime_col="d",
            observation_end="2024-01-31",
        )
    assert str(caught.value) == f"file not found: {tmp_path / 'none.parquet'}"
    odd = tmp_path / "t.xlsx"
    odd.write_bytes(b"not a table")
    with pytest.raises(AnalyticsInputError) as caught:
        read_transactions(odd)
    assert str(caught.value) == "unsupported file type '.xlsx': use .csv or .parquet"
    with pytest.raises(AnalyticsInputError) as caught:
        customer_features(table, observation_end="2024-01-31", windows=(0,))
    assert str(caught.value) == "windows: 0 is not a positive number of days"


def test_connect_duckdb_sets_threads() -> None:
    con = connect_duckdb(threads=1)
    assert con.raw_sql("SELECT current_setting('threads')").fetchone() == (1,)
