"""One hand-made data set through every backend: the features must be identical.

The reference is a plain-Python computation written from the definitions (not
from the Ibis code); DuckDB, SQLite, PostgreSQL and Spark run the Ibis
expressions of ``guanxi.analytics.features`` and must agree with it exactly.
Amounts are multiples of 0.25, so every sum is exact in floating point.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from typing import Any

import ibis
import pandas as pd
import pytest

from guanxi.analytics.features import (
    connect_duckdb,
    customer_features,
    rfm_summary_ibis,
)

END = dt.date(2024, 3, 31)
CALIBRATION = dt.date(2024, 1, 31)
WINDOWS = (30, 90, 365)


def _transactions() -> pd.DataFrame:
    def at(
        day: dt.date, hour: int = 12, minute: int = 0, second: int = 0
    ) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, hour, minute, second)

    rows = [
        # Same-day purchases at the very start and the very end of a day.
        ("c01", at(dt.date(2023, 5, 1), 0, 0, 0), 10.25),
        ("c01", at(dt.date(2023, 5, 1), 23, 59, 59), 4.75),
        ("c01", at(dt.date(2024, 2, 29), 9), 8.0),  # leap day, in the holdout
        ("c01", at(dt.date(2024, 1, 15), 18), 2.5),
        # Single purchase.
        ("c02", at(dt.date(2023, 11, 2)), 99.5),
        # Purchases exactly on the window borders of END.
        ("c03", at(END - dt.timedelta(days=365)), 1.0),
        ("c03", at(END - dt.timedelta(days=364)), 2.0),
        ("c03", at(END - dt.timedelta(days=90)), 4.0),
        ("c03", at(END - dt.timedelta(days=89)), 8.0),
        ("c03", at(END - dt.timedelta(days=30)), 16.0),
        ("c03", at(END - dt.timedelta(days=29)), 32.0),
        ("c03", at(END, 23, 59, 59), 64.0),
        # Before 1970 (negative day numbers) and a zero amount.
        ("c04", at(dt.date(1969, 12, 31), 23, 30), 0.0),
        ("c04", at(dt.date(2023, 12, 31)), 0.25),
        # First purchase on the calibration end, then again in the holdout.
        ("c05", at(CALIBRATION, 0, 0, 1), 5.5),
        ("c05", at(dt.date(2024, 3, 1)), 6.5),
        ("c05", at(dt.date(2024, 3, 1), 13), 1.0),
        # Only purchases in the holdout: no calibration row.
        ("c06", at(dt.date(2024, 2, 10)), 3.0),
    ]
    return pd.DataFrame(rows, columns=["customer", "bought_at", "amount"])


def _reference_features(frame: pd.DataFrame, end: dt.date) -> pd.DataFrame:
    """customer_features computed with plain Python from its definition."""
    epoch = dt.date(1970, 1, 1)
    end_day = (end - epoch).days
    days: dict[str, dict[int, list[float]]] = {}
    for customer, stamp, amount in frame.itertuples(index=False):
        day = (stamp.date() - epoch).days
        if day <= end_day:
            days.setdefault(customer, {}).setdefault(day, []).append(amount)
    records = []
    for customer, per_day in days.items():
        ordered = sorted(per_day)
        first, last = ordered[0], ordered[-1]
        spend = {day: sum(values) for day, values in per_day.items()}
        orders = sum(len(values) for values in per_day.values())
        total = sum(spend.values())
        frequency = len(ordered) - 1
        recency = last - first
        record: dict[str, Any] = {
            "customer_id": customer,
            "first_day": first,
            "last_day": last,
            "purchase_days": len(ordered),
            "orders": orders,
            "total_spend": total,
            "mean_order_value": total / orders,
            "frequency": frequency,
            "recency": recency,
            "T": end_day - first,
            "monetary_value": (
                sum(spend[day] for day in ordered[1:]) / frequency if frequency else 0.0
            ),
            "days_since_last_purchase": end_day - last,
            "mean_interpurchase_days": recency / frequency if frequency else 0.0,
        }
        for window in WINDOWS:
            inside = [day for day in ordered if end_day - window < day]
            record[f"orders_{window}d"] = sum(len(per_day[day]) for day in inside)
            record[f"purchase_days_{window}d"] = len(inside)
            record[f"spend_{window}d"] = float(sum(spend[day] for day in inside))
        records.append(record)
    return _canonical(pd.DataFrame.from_records(records))


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values("customer_id").reset_index(drop=True)
    for column in frame.columns:
        if column == "customer_id":
            frame[column] = frame[column].astype(str)
        elif pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].astype("float64")
        else:
            frame[column] = frame[column].astype("int64")
    return frame


@pytest.fixture(scope="module")
def spark_backend() -> Iterator[Any]:
    pytest.importorskip("pyspark")
    from guanxi.analytics.features import connect_spark

    con = connect_spark()
    yield con
    con._session.stop()


def _postgres_backend() -> Any:
    url = os.environ.get("GUANXI_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("GUANXI_TEST_POSTGRES_URL is not set: no PostgreSQL to test on")
    return ibis.connect(url)


@pytest.fixture(
    scope="module",
    params=[
        "duckdb",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("spark", marks=pytest.mark.spark),
    ],
)
def loaded(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The transactions as a table on one backend; the table is dropped after."""
    name = f"gx_conformance_{uuid.uuid4().hex[:12]}"
    if request.param == "duckdb":
        con = connect_duckdb()
    elif request.param == "sqlite":
        con = ibis.sqlite.connect()
    elif request.param == "postgres":
        con = _postgres_backend()
    else:
        con = request.getfixturevalue("spark_backend")
    if request.param == "spark":
        # A temporary view: no files written to the warehouse.
        con._session.createDataFrame(_transactions()).createOrReplaceTempView(name)
        table = con.table(name)
    else:
        table = con.create_table(name, _transactions())
    try:
        yield table
    finally:
        if request.param == "spark":
            con._session.catalog.dropTempView(name)
        else:
            con.drop_table(name, force=True)
            con.disconnect()


ENDS = (END, CALIBRATION, dt.date(2023, 5, 1))


def test_customer_features_match_the_reference(loaded: Any) -> None:
    # One query for the three observation ends: Spark pays per query.
    per_end = [
        customer_features(
            loaded,
            observation_end=end,
            customer_col="customer",
            datetime_col="bought_at",
            amount_col="amount",
            windows=WINDOWS,
        ).mutate(end=ibis.literal(i, type="int64"))
        for i, end in enumerate(ENDS)
    ]
    got = ibis.union(*per_end).execute()
    for i, end in enumerate(ENDS):
        expected = _reference_features(_transactions(), end)
        at_end = got[got["end"] == i].drop(columns="end")
        pd.testing.assert_frame_equal(_canonical(at_end), expected, check_exact=True)


def test_rfm_summary_matches_the_reference(loaded: Any) -> None:
    got = rfm_summary_ibis(
        loaded,
        customer_col="customer",
        datetime_col="bought_at",
        amount_col="amount",
        observation_end=END,
        calibration_end=CALIBRATION,
    )
    reference = _reference_features(_transactions(), CALIBRATION).set_index(
        "customer_id"
    )
    expected = pd.DataFrame(
        {
            "frequency": reference["frequency"].astype("float64"),
            "recency": reference["recency"].astype("float64"),
            "T": reference["T"].astype("float64"),
            "monetary_value": reference["monetary_value"],
            # Holdout (Feb 1 - Mar 31): c01 on Feb 29; c05 twice on Mar 1 -> one day.
            "frequency_holdout": [1.0, 0.0, 3.0, 0.0, 1.0],
            "monetary_value_holdout": [8.0, 0.0, (16.0 + 32.0 + 64.0) / 3, 0.0, 7.5],
            "duration_holdout": [60.0] * 5,
        },
        index=pd.Index(["c01", "c02", "c03", "c04", "c05"], name="customer"),
    )
    got.index = got.index.astype(str)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
