"""Purchase days from a transactions frame, shared by RFM tables, cohorts and plots.

Validation is the BTYD summary's own (:mod:`guanxi.analytics.summary`), so a
file rejected by one analysis is rejected by every one with the same message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.summary import _checked_columns, _day

__all__ = ["purchase_days"]

_NO_END = np.iinfo(np.int64).max


def purchase_days(
    transactions: pd.DataFrame,
    *,
    customer_col: str,
    datetime_col: str,
    amount_col: str | None,
    observation_end: Any = None,
) -> tuple[pd.DataFrame, pd.Timestamp, np.ndarray]:
    """One row per (customer, calendar day) with the day's total amount.

    Returns the frame (columns ``customer`` — an integer code —, ``day`` as
    datetime64 and ``amount``, 0 without an amount column; sorted by customer
    and day), the observation end as a midnight timestamp (the last purchase
    day when ``observation_end`` is None) and the customer ids, where code
    ``i`` stands for ``ids[i]`` and the ids are sorted. Grouping on integer
    codes rather than on the ids (often strings) is several times faster.
    Dates may be datetimes or text.
    """
    if not isinstance(transactions, pd.DataFrame):
        raise AnalyticsInputError(
            "transactions: expected a pandas DataFrame, "
            f"got {type(transactions).__name__}"
        )
    end = (
        _NO_END if observation_end is None else _day(observation_end, "observation_end")
    )
    _, days, amounts = _checked_columns(
        transactions,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        end=end,
    )
    if len(days) == 0:
        raise AnalyticsInputError("transactions: no rows")
    if observation_end is None:
        end = int(days.max())
    codes, ids = _customer_codes(transactions[customer_col])
    # One int64 key per (customer, day): a single-key group-by is much faster
    # than one on two columns.
    first_day = int(days.min())
    span = int(days.max()) - first_day + 1
    key = codes * span + (days - first_day)
    totals = pd.Series(amounts).groupby(key, sort=True).sum()
    keys = totals.index.to_numpy(dtype=np.int64)
    daily = pd.DataFrame(
        {
            "customer": keys // span,
            "day": (keys % span + first_day)
            .astype("datetime64[D]")
            .astype("datetime64[ns]"),
            "amount": totals.to_numpy(dtype=np.float64),
        }
    )
    end_day = pd.Timestamp(dt.date(1970, 1, 1) + dt.timedelta(days=end))
    return daily, end_day, np.asarray(ids)


def _customer_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes for the customer ids, numbered in sorted id order.

    Factorises the column as stored (Arrow strings are dictionary-encoded
    quickly), then sorts only the distinct ids rather than every row.
    """
    codes, found = pd.factorize(column)
    uniques = np.asarray(found)
    try:
        order = np.argsort(uniques, kind="stable")
    except TypeError:  # ids of mixed types that do not sort together
        order = np.arange(len(uniques))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[codes], uniques[order]
