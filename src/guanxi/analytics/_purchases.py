"""Purchase days as a frame, shared by RFM tables, cohorts and plots."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from guanxi.analytics.dates import date_of_day
from guanxi.analytics.transactions import Transactions

__all__ = ["purchase_days"]


def purchase_days(
    transactions: Transactions, observation_end: Any = None
) -> tuple[pd.DataFrame, pd.Timestamp, np.ndarray]:
    """One row per (customer, calendar day) with the day's total amount.

    Returns the frame (columns ``customer`` — an integer code —, ``day`` as
    datetime64 and ``amount``, 0 without amounts; sorted by customer and
    day), the observation end as a midnight timestamp (the last purchase day
    when ``observation_end`` is None; a purchase after it is an error) and the
    customer ids, where code ``i`` stands for ``ids[i]`` and the ids are
    sorted.
    """
    end = transactions.end_day(observation_end)
    daily = transactions.daily
    frame = pd.DataFrame(
        {
            "customer": daily.customer,
            "day": daily.day.astype("datetime64[D]").astype("datetime64[ns]"),
            "amount": daily.amount,
        }
    )
    return frame, pd.Timestamp(date_of_day(end)), np.asarray(daily.ids)
