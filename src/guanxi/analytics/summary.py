"""Per-customer frequency / recency / T / monetary summary, the input of the CLV models."""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from guanxi.analytics.errors import AnalyticsInputError

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["rfm_summary"]

DateLike = str | dt.date | dt.datetime | pd.Timestamp

_SUMMARY_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
_HOLDOUT_COLUMNS = ["frequency_holdout", "monetary_value_holdout", "duration_holdout"]


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
    :func:`guanxi.analytics.features.rfm_summary_ibis` with identical results.

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

    Raises :class:`AnalyticsInputError` naming the column and the first
    offending row (1-based) for a missing column, a missing customer id, a
    missing or unparsable date, a purchase after the observation end, or a
    missing or negative amount.
    """
    if not isinstance(transactions, pd.DataFrame):
        if isinstance(transactions, str | os.PathLike) or _is_ibis_table(transactions):
            from guanxi.analytics.features import rfm_summary_ibis

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
    if time_unit not in ("D", "W"):
        raise AnalyticsInputError(f"time_unit: '{time_unit}' is not one of D, W")
    end = _day(observation_end, "observation_end")
    cut = end if calibration_end is None else _day(calibration_end, "calibration_end")
    if cut > end:
        raise AnalyticsInputError(
            "calibration_end: must not be after observation_end "
            f"({_date_text(cut)} > {_date_text(end)})"
        )
    customers, days, amounts = _checked_columns(
        transactions,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
        end=end,
    )
    daily = (
        pd.DataFrame({"customer": customers, "day": days, "amount": amounts})
        .groupby(["customer", "day"], sort=True)["amount"]
        .sum()
        .reset_index()
    )
    calibration = daily[daily["day"].to_numpy() <= cut]
    grouped = calibration.groupby("customer", sort=True)
    first = grouped["day"].min()
    last = grouped["day"].max()
    count = grouped["day"].size()
    spend = grouped["amount"].sum()
    first_spend = grouped["amount"].first()
    frequency = np.asarray((count - 1).to_numpy(), dtype=np.float64)
    repeat_spend = (spend - first_spend).to_numpy(np.float64)
    scale = 7.0 if time_unit == "W" else 1.0
    summary = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first).to_numpy(np.float64) / scale,
            "T": (cut - first).to_numpy(np.float64) / scale,
            "monetary_value": _mean(repeat_spend, frequency),
        },
        index=first.index,
    )
    if calibration_end is not None:
        holdout = daily[daily["day"].to_numpy() > cut].groupby("customer")
        days_after = holdout["day"].size().reindex(summary.index, fill_value=0)
        spend_after = holdout["amount"].sum().reindex(summary.index, fill_value=0.0)
        count_after = np.asarray(days_after.to_numpy(), dtype=np.float64)
        summary["frequency_holdout"] = count_after
        summary["monetary_value_holdout"] = _mean(
            spend_after.to_numpy(np.float64), count_after
        )
        summary["duration_holdout"] = float(end - cut) / scale
    summary.index.name = customer_col
    return summary.astype(np.float64)


def _is_ibis_table(value: object) -> bool:
    return type(value).__module__.startswith("ibis.") and hasattr(value, "execute")


def _mean(
    total: npt.NDArray[np.float64], count: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """total / count, 0 where count is 0."""
    out = np.zeros_like(total)
    np.divide(total, count, out=out, where=count > 0)
    return out


_EPOCH = dt.date(1970, 1, 1)


def _day(value: DateLike, name: str) -> int:
    """Whole days since 1970-01-01 of a date-like parameter."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise AnalyticsInputError(f"{name}: cannot read '{value}' as a date") from error
    if pd.isna(stamp):
        raise AnalyticsInputError(f"{name}: cannot read '{value}' as a date")
    return (dt.date(stamp.year, stamp.month, stamp.day) - _EPOCH).days


def _date_text(day: int) -> str:
    return (_EPOCH + dt.timedelta(days=day)).isoformat()


def _checked_columns(
    frame: pd.DataFrame,
    *,
    customer_col: str,
    datetime_col: str,
    amount_col: str | None,
    end: int,
) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Customer ids, day numbers and amounts, or the first problem as an error.

    The kinds of problem are checked in a fixed order (missing customer id,
    missing or unparsable date, purchase after the observation end, missing
    amount, negative amount); the first kind found is reported with its first
    row, as the in-database summary does.
    """
    for name in (customer_col, datetime_col, amount_col):
        if name is not None and name not in frame.columns:
            raise AnalyticsInputError(f"column '{name}' is missing")
    customer = frame[customer_col]
    _reject(customer_col, customer, customer.isna().to_numpy(), "missing customer id")
    raw_dates = frame[datetime_col]
    days = _day_numbers(raw_dates, datetime_col)
    unparsed = days == np.iinfo(np.int64).min
    _reject(datetime_col, raw_dates, unparsed, "missing or unparsable date")
    _reject(datetime_col, raw_dates, days > end, "purchase after the observation end")
    if amount_col is None:
        amounts = np.zeros(len(frame), dtype=np.float64)
    else:
        raw_amounts = frame[amount_col]
        if pd.api.types.is_numeric_dtype(raw_amounts.dtype) and not (
            pd.api.types.is_bool_dtype(raw_amounts.dtype)
        ):
            numbers = raw_amounts.astype("float64")
        else:
            numbers = pd.to_numeric(raw_amounts, errors="coerce").astype("float64")
        amounts = np.asarray(
            numbers.to_numpy(np.float64, na_value=np.nan), dtype=np.float64
        )
        _reject(amount_col, raw_amounts, np.isnan(amounts), "missing amount")
        _reject(amount_col, raw_amounts, amounts < 0, "negative amount")
    return customer.to_numpy(), days, amounts


def _day_numbers(values: pd.Series[Any], name: str) -> npt.NDArray[np.int64]:
    """Day numbers since 1970-01-01; int64 minimum where missing or unparsable."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = values
    elif pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(
        values.dtype
    ):
        raise AnalyticsInputError(f"column '{name}' does not hold dates")
    else:
        text = values.astype("string")
        stamps = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        retry = (stamps.isna() & text.notna()).to_numpy()
        if bool(retry.any()):
            # Not ISO 8601 (e.g. 03/01/2024): let pandas read each such value.
            stamps = stamps.copy()
            stamps[retry] = pd.to_datetime(
                text[retry], format="mixed", errors="coerce", utc=True
            )
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    day_stamps = stamps.dt.floor("D").astype("datetime64[s]")
    seconds = day_stamps.to_numpy(np.int64, na_value=np.iinfo(np.int64).min)
    result: npt.NDArray[np.int64] = np.where(
        seconds == np.iinfo(np.int64).min, seconds, seconds // 86_400
    )
    return result


def _reject(
    column: str,
    values: pd.Series[Any],
    bad: npt.NDArray[np.bool_],
    what: str,
) -> None:
    if not bool(bad.any()):
        return
    position = int(np.flatnonzero(bad)[0])
    raise AnalyticsInputError(
        f"column '{column}', row {position + 1}: {what} ({_show(values.iloc[position])})"
    )


def _show(value: Any) -> str:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return "empty"
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    return str(value)
