"""Acquisition cohorts: retention, repurchase rate and revenue by month.

A customer's cohort is the calendar month of their first purchase; "months
since first purchase" counts calendar months (a first purchase on 31 January
and a purchase on 1 February are one month apart). Cells for months after the
observation end's month are missing (``NA``/``NaN``), not zero: nobody could
have been seen there yet. The observation end defaults to the last purchase
day; the month containing it counts as observed even when it is partial.
Purchases on one day by one customer count once (amounts added).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from guanxi.analytics._purchases import purchase_days
from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.transactions import Transactions, as_transactions

__all__ = ["cohort_revenue", "repurchase_rate", "retention_table"]


def _month_number(days: pd.Series) -> np.ndarray:
    values = pd.DatetimeIndex(days)
    return np.asarray(values.year * 12 + values.month - 1, dtype=np.int64)


def _cohort_frame(
    transactions: pd.DataFrame | Transactions,
    *,
    customer_col: str | None,
    datetime_col: str | None,
    amount_col: str | None,
    observation_end: Any,
    needs_amounts: bool = False,
) -> tuple[pd.DataFrame, pd.Timestamp]:
    checked = as_transactions(
        transactions,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
    )
    if needs_amounts and checked.amounts is None:
        raise AnalyticsInputError("transactions: no amounts to add up as revenue")
    daily, end, _ = purchase_days(checked, observation_end)
    first = daily.groupby("customer", sort=False)["day"].transform("min")
    daily["cohort_month"] = _month_number(first)
    daily["offset"] = _month_number(daily["day"]) - daily["cohort_month"]
    daily["first_day"] = first
    return daily, end


def _end_month(end: pd.Timestamp) -> int:
    return int(end.year * 12 + end.month - 1)


def _cohort_index(months: np.ndarray) -> pd.PeriodIndex:
    return pd.PeriodIndex(
        [pd.Period(year=int(m // 12), month=int(m % 12 + 1), freq="M") for m in months],
        name="cohort",
    )


def _grid(values: pd.Series, end_month: int, *, fill: float) -> pd.DataFrame:
    """(cohort_month, offset) → value as a cohort × offset table, unobserved NaN."""
    table = values.unstack("offset")
    cohorts = table.index.to_numpy(dtype=np.int64)
    width = int(end_month - cohorts.min()) + 1
    table = table.reindex(columns=range(width)).fillna(fill).astype(float)
    observed = np.arange(width)[None, :] <= (end_month - cohorts)[:, None]
    table = table.where(observed)
    table.index = _cohort_index(cohorts)
    table.columns = pd.Index(range(width), name="months_since_first")
    return table


def retention_table(
    transactions: pd.DataFrame | Transactions,
    *,
    customer_col: str | None = None,
    datetime_col: str | None = None,
    observation_end: Any = None,
    rates: bool = False,
) -> pd.DataFrame:
    """Customers of each monthly cohort who bought in each later month.

    Rows: cohort (``Period[M]``), columns: months since first purchase (0, 1,
    …). Counts (nullable ``Int64``, month 0 = cohort size), or with
    ``rates=True`` the share of the cohort (float, month 0 = 1.0).
    """
    daily, end = _cohort_frame(
        transactions,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=None,
        observation_end=observation_end,
    )
    active = daily.groupby(["cohort_month", "offset"])["customer"].nunique()
    counts = _grid(active, _end_month(end), fill=0.0)
    if rates:
        return counts.div(counts[0], axis=0)
    return counts.astype("Int64")


def repurchase_rate(
    transactions: pd.DataFrame | Transactions,
    *,
    customer_col: str | None = None,
    datetime_col: str | None = None,
    observation_end: Any = None,
    within_days: int | None = None,
) -> pd.DataFrame:
    """Share of each cohort's customers who bought again (on a later day).

    Columns ``customers``, ``repeat_customers``, ``repurchase_rate``. With
    ``within_days`` only a repeat purchase at most that many days after the
    first counts, and only customers whose first purchase is at least
    ``within_days`` before the observation end are counted (the others could
    not yet have been seen to come back).
    """
    if within_days is not None and within_days < 1:
        raise AnalyticsInputError("within_days must be at least 1")
    daily, end = _cohort_frame(
        transactions,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=None,
        observation_end=observation_end,
    )
    since_first = (daily["day"] - daily["first_day"]).dt.days
    counted = since_first > 0
    if within_days is not None:
        counted &= since_first <= within_days
    daily["repeat"] = counted
    customers = daily.groupby("customer", sort=True).agg(
        cohort_month=("cohort_month", "first"),
        first_day=("first_day", "first"),
        repeat=("repeat", "any"),
    )
    if within_days is not None:
        customers = customers[(end - customers["first_day"]).dt.days >= within_days]
    grouped = customers.groupby("cohort_month", sort=True)
    result = pd.DataFrame(
        {
            "customers": grouped.size().astype(np.int64),
            "repeat_customers": grouped["repeat"].sum().astype(np.int64),
        }
    )
    result["repurchase_rate"] = result["repeat_customers"] / result["customers"]
    result.index = _cohort_index(result.index.to_numpy(dtype=np.int64))
    return result


def cohort_revenue(
    transactions: pd.DataFrame | Transactions,
    *,
    customer_col: str | None = None,
    datetime_col: str | None = None,
    amount_col: str | None = None,
    observation_end: Any = None,
    per_customer: bool = False,
    cumulative: bool = False,
) -> pd.DataFrame:
    """Revenue of each cohort in each month since first purchase.

    Same shape as :func:`retention_table`. ``per_customer`` divides by the
    cohort size (revenue per acquired customer); ``cumulative`` sums along the
    months (the cohort's revenue to date).
    """
    daily, end = _cohort_frame(
        transactions,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        observation_end=observation_end,
        needs_amounts=True,
    )
    revenue = _grid(
        daily.groupby(["cohort_month", "offset"])["amount"].sum(),
        _end_month(end),
        fill=0.0,
    )
    if cumulative:
        revenue = revenue.cumsum(axis=1).where(revenue.notna())
    if per_customer:
        sizes = daily.groupby("cohort_month")["customer"].nunique()
        revenue = revenue.div(sizes.to_numpy(dtype=float), axis=0)
    return revenue
