"""Per-customer frequency / recency / T / monetary summary, the input of the CLV models.

A :class:`CustomerSummary` carries the unit its durations are in (days or
weeks), so a model fitted on it and the CLV computed from it cannot silently
disagree about how long a month is.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import pandas as pd

from guanxi.analytics.dates import DateLike, as_date, date_of_day, day_number
from guanxi.analytics.errors import AnalyticsInputError
from guanxi.analytics.transactions import Transactions

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["UNIT_NAMES", "CustomerSummary", "TimeUnit", "rfm_summary", "summarise"]

#: The unit of a summary's durations: days, or weeks of 7 days (fractional).
TimeUnit = Literal["D", "W"]
UNIT_NAMES: dict[str, str] = {"D": "days", "W": "weeks"}
_DAYS_PER_UNIT = {"D": 1.0, "W": 7.0}


@dataclass(frozen=True)
class CustomerSummary:
    """The BTYD summary (see :func:`rfm_summary`) and the unit of its durations.

    ``frame`` is indexed by customer id with float64 columns ``frequency``,
    ``recency``, ``T``, ``monetary_value`` (and the holdout columns with a
    calibration end); ``recency``, ``T`` and ``duration_holdout`` are in
    ``time_unit``. Fitting a CLV model on a summary records its unit, and
    :meth:`~guanxi.analytics.clv._base.PurchaseModel.clv` converts months into
    it, refusing a summary in another unit than the models were fitted in.
    """

    frame: pd.DataFrame
    time_unit: TimeUnit = "D"
    observation_end: dt.date | None = None
    calibration_end: dt.date | None = None

    def __post_init__(self) -> None:
        if self.time_unit not in get_args(TimeUnit):
            raise AnalyticsInputError(
                f"time_unit: '{self.time_unit}' is not one of D, W"
            )
        if not isinstance(self.frame, pd.DataFrame):
            raise AnalyticsInputError(
                f"frame: expected a pandas DataFrame, got {type(self.frame).__name__}"
            )

    @property
    def days_per_unit(self) -> float:
        """1 for a summary in days, 7 for one in weeks."""
        return _DAYS_PER_UNIT[self.time_unit]

    def __len__(self) -> int:
        return len(self.frame)


def rfm_summary(
    transactions: Any,
    *,
    customer_col: str,
    datetime_col: str,
    amount_col: str | None = None,
    observation_end: DateLike,
    calibration_end: DateLike | None = None,
    time_unit: Literal["D", "W"] = "D",
) -> pd.DataFrame:
    """One row per customer: ``frequency``, ``recency``, ``T``, ``monetary_value``.

    ``transactions`` is a pandas DataFrame (one row per transaction), or a CSV /
    Parquet path or an Ibis table, which are summarised in-database by
    :func:`guanxi.analytics.summary_ibis.rfm_summary_ibis` with identical results.

    Purchases are counted per calendar day: several transactions of one
    customer on one day are one purchase whose amount is their sum.

    - ``frequency``: repeat purchases (purchase days after the first),
    - ``recency``: first to last purchase day, ``T``: first purchase day to
      ``observation_end`` (or ``calibration_end`` when given),
    - ``monetary_value``: mean amount of the repeat purchase days, 0 when there
      are none (and 0 without ``amount_col``).

    With ``calibration_end`` the summary covers the customers whose first
    purchase is on or before it, and adds ``frequency_holdout`` (purchase days
    after the calibration end up to the observation end),
    ``monetary_value_holdout`` (their mean amount, 0 without any) and
    ``duration_holdout``. Durations are in days (``time_unit="D"``) or in
    weeks of days / 7 (``"W"``, fractional, as in the literature). The index
    is the customer id (named ``customer_col``, sorted); columns are float64.

    Amounts may be zero or negative (free items, refunds); ``monetary_value``
    is then the mean of whatever the repeat purchase days add up to.

    Raises :class:`AnalyticsInputError` naming the column and the first
    offending row (1-based) for a missing column, a missing customer id, a
    missing or unparsable date, a purchase after the observation end, or a
    missing amount.
    """
    if not isinstance(transactions, pd.DataFrame | Transactions):
        if isinstance(transactions, str | os.PathLike) or _is_ibis_table(transactions):
            from guanxi.analytics.summary_ibis import rfm_summary_ibis

            return rfm_summary_ibis(
                transactions,
                customer_col=customer_col,
                datetime_col=datetime_col,
                amount_col=amount_col,
                observation_end=observation_end,
                calibration_end=calibration_end,
                time_unit=time_unit,
            )
        raise AnalyticsInputError(
            "transactions: expected a pandas DataFrame, a file path or an Ibis "
            f"table, got {type(transactions).__name__}"
        )
    checked = (
        transactions
        if isinstance(transactions, Transactions)
        else Transactions.from_frame(
            transactions,
            customer_col=customer_col,
            datetime_col=datetime_col,
            amount_col=amount_col,
        )
    )
    summary = summarise(
        checked,
        observation_end=as_date(observation_end, "observation_end"),
        calibration_end=calibration_end,
        time_unit=time_unit,
    )
    frame = summary.frame
    frame.index.name = customer_col
    return frame


def summarise(
    transactions: Transactions,
    *,
    observation_end: DateLike | None = None,
    calibration_end: DateLike | None = None,
    time_unit: TimeUnit = "D",
) -> CustomerSummary:
    """The summary of :func:`rfm_summary` from checked transactions, with its unit.

    ``observation_end`` defaults to the last purchase day. The index is named
    after the transactions' customer column.
    """
    if time_unit not in get_args(TimeUnit):
        raise AnalyticsInputError(f"time_unit: '{time_unit}' is not one of D, W")
    end = transactions.end_day(observation_end)
    cut = (
        end
        if calibration_end is None
        else day_number(calibration_end, "calibration_end")
    )
    if cut > end:
        raise AnalyticsInputError(
            "calibration_end: must not be after observation_end "
            f"({date_of_day(cut)} > {date_of_day(end)})"
        )
    daily = transactions.daily
    before = daily.day <= cut
    code, day, amount = daily.customer[before], daily.day[before], daily.amount[before]
    # Sorted by customer and day: a customer's first and last purchase days
    # are the ends of their run of entries.
    starts = np.ones(len(code), dtype=bool)
    starts[1:] = code[1:] != code[:-1]
    ends = np.ones(len(code), dtype=bool)
    ends[:-1] = starts[1:]
    customers = code[starts]
    first = day[starts]
    frequency = (
        np.diff(np.append(np.flatnonzero(starts), len(code))).astype(np.float64) - 1.0
    )
    spend = pd.Series(amount).groupby(code, sort=True).sum().to_numpy(np.float64)
    scale = _DAYS_PER_UNIT[time_unit]
    frame = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (day[ends] - first).astype(np.float64) / scale,
            "T": (cut - first).astype(np.float64) / scale,
            "monetary_value": _mean(spend - amount[starts], frequency),
        },
        index=pd.Index(daily.ids[customers], name=transactions.columns[0]),
    )
    if calibration_end is not None:
        after = ~before
        counts = np.bincount(daily.customer[after], minlength=len(daily.ids))
        count_after = counts[customers].astype(np.float64)
        spend_after = (
            pd.Series(daily.amount[after])
            .groupby(daily.customer[after], sort=True)
            .sum()
            .reindex(customers, fill_value=0.0)
            .to_numpy(np.float64)
        ).astype(np.float64)
        frame["frequency_holdout"] = count_after
        frame["monetary_value_holdout"] = _mean(spend_after, count_after)
        frame["duration_holdout"] = float(end - cut) / scale
    return CustomerSummary(
        frame=frame.astype(np.float64),
        time_unit=time_unit,
        observation_end=date_of_day(end),
        calibration_end=None if calibration_end is None else date_of_day(cut),
    )


def _is_ibis_table(value: object) -> bool:
    return type(value).__module__.startswith("ibis.") and hasattr(value, "execute")


def _mean(
    total: npt.NDArray[np.float64], count: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """total / count, 0 where count is 0."""
    out = np.zeros_like(total)
    np.divide(total, count, out=out, where=count > 0)
    return out
