"""Transactions checked once: the validated input every analysis starts from.

:meth:`Transactions.from_frame` reads a frame of transactions (one row per
purchase) and checks it once: a customer id on every row, a readable date on
every row and, with an amount column, an amount on every row. Zero and
negative amounts are kept: free items and refunds are real transactions, and
each analysis decides what they mean (the spend model leaves out customers
whose repeat purchases are worth nothing, see :mod:`guanxi.analytics.reports`).
RFM tables, cohorts, the BTYD summary, the churn backtest and the charts all
take the same object, so a file is parsed and checked once and rejected by
every analysis with the same message.

Messages name the first offending row with the object's ``row_name``: "row
17" (1-based, in the order given) by default, or "line 18" of the file it was
read from (:func:`csv_lines`).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from guanxi.analytics.dates import date_of_day
from guanxi.analytics.errors import AnalyticsInputError

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = [
    "Daily",
    "RowName",
    "Transactions",
    "as_transactions",
    "csv_lines",
    "numbered_rows",
]

#: Names a row (0-based position) in a message: "row 3", "line 4".
RowName = Callable[[int], str]
_NOT_A_DAY = np.iinfo(np.int64).min


def numbered_rows(position: int) -> str:
    """ "row n", 1-based in the order the rows were given."""
    return f"row {position + 1}"


def csv_lines(path: str | Path, *, encoding: str = "utf-8-sig") -> RowName:
    """Names data rows by their line in a CSV file with a header line.

    Counted as pandas reads the file: blank lines are skipped and a quoted
    field may span lines (the record's first line is named). The file is read
    only when a row is named, so only where there is something to report.
    """
    source = Path(path)

    @functools.cache
    def starts() -> list[int]:
        found: list[int] = []
        header = False
        with source.open(encoding=encoding, newline="") as handle:
            records = csv.reader(handle)
            line = 1
            for record in records:
                if record and header:
                    found.append(line)
                header = header or bool(record)
                line = records.line_num + 1
        return found

    def name(position: int) -> str:
        lines = starts()
        if 0 <= position < len(lines):
            return f"line {lines[position]}"
        return numbered_rows(position)

    return name


@dataclass(frozen=True)
class Daily:
    """Purchase days: one entry per (customer, calendar day), sorted by both.

    ``customer`` holds integer codes: code ``i`` stands for ``ids[i]``, and
    the ids are sorted. ``amount`` is the day's total (0 without amounts).
    """

    customer: npt.NDArray[np.int64]
    day: npt.NDArray[np.int64]
    amount: npt.NDArray[np.float64]
    ids: npt.NDArray[Any]


@dataclass(frozen=True, eq=False)
class Transactions:
    """Transactions checked once (build with :meth:`from_frame`).

    One entry per row: ``customer_ids`` as given (the column's own array, so
    Arrow strings stay Arrow strings), ``days`` as day numbers
    (days since 1970-01-01, see :mod:`guanxi.analytics.dates`) and
    ``amounts`` (None without an amount column). ``columns`` are the names of
    the customer, date and amount columns, used in messages with
    ``row_name``.
    """

    customer_ids: Any
    days: npt.NDArray[np.int64]
    amounts: npt.NDArray[np.float64] | None
    columns: tuple[str, str, str | None] = ("customer_id", "date", None)
    row_name: RowName = numbered_rows
    raw_dates: Any = field(default=None, repr=False)

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        customer_col: str,
        datetime_col: str,
        amount_col: str | None = None,
        date_format: str | None = None,
        row_name: RowName = numbered_rows,
    ) -> Transactions:
        """Check a frame of transactions and keep what the analyses need.

        Dates are datetimes, ISO 8601 text (or what pandas recognises) or, with
        ``date_format`` (strftime codes, e.g. ``%Y%m%d``), text in that form;
        the calendar day counts, any time zone is dropped. Raises
        :class:`AnalyticsInputError` for a missing column and for the first
        row (in this order of checks) with a missing customer id, a missing
        or unparsable date, or a missing or non-numeric amount.
        """
        if not isinstance(frame, pd.DataFrame):
            raise AnalyticsInputError(
                f"transactions: expected a pandas DataFrame, got {type(frame).__name__}"
            )
        for name in (customer_col, datetime_col, amount_col):
            if name is not None and name not in frame.columns:
                raise AnalyticsInputError(f"column '{name}' is missing")
        customer = frame[customer_col]
        _reject(
            customer_col,
            customer,
            customer.isna().to_numpy(),
            "missing customer id",
            row_name,
        )
        raw_dates = frame[datetime_col]
        days = _day_numbers(raw_dates, datetime_col, date_format)
        _reject(
            datetime_col,
            raw_dates,
            days == _NOT_A_DAY,
            "missing or unparsable date",
            row_name,
            "" if date_format is None else f" for format {date_format}",
        )
        amounts = None
        if amount_col is not None:
            raw = frame[amount_col]
            if pd.api.types.is_numeric_dtype(raw.dtype) and not (
                pd.api.types.is_bool_dtype(raw.dtype)
            ):
                numbers = raw.astype("float64")
            else:
                numbers = pd.to_numeric(raw, errors="coerce").astype("float64")
            amounts = np.asarray(
                numbers.to_numpy(np.float64, na_value=np.nan), dtype=np.float64
            )
            bad = ~np.isfinite(amounts)
            _reject(amount_col, raw, bad, "missing amount", row_name)
        return cls(
            customer_ids=customer.array,
            days=days,
            amounts=amounts,
            columns=(customer_col, datetime_col, amount_col),
            row_name=row_name,
            raw_dates=raw_dates,
        )

    def __len__(self) -> int:
        return len(self.days)

    @property
    def last_day(self) -> int:
        """The last purchase day (a day number)."""
        if len(self.days) == 0:
            raise AnalyticsInputError("transactions: no rows")
        return int(self.days.max())

    def end_day(self, observation_end: Any, name: str = "observation_end") -> int:
        """The observation end as a day number: the last purchase day when None.

        Raises naming the first purchase after it, if there is one.
        """
        from guanxi.analytics.dates import day_number

        if observation_end is None:
            return self.last_day
        end = day_number(observation_end, name)
        late = self.days > end
        if bool(late.any()):  # the dates to show are only made for a message
            _reject(
                self.columns[1],
                self._shown_dates(),
                late,
                "purchase after the observation end",
                self.row_name,
            )
        return end

    def until(self, day: int) -> Transactions:
        """The transactions on or before a day number."""
        keep = self.days <= day
        return Transactions(
            customer_ids=self.customer_ids[keep],
            days=self.days[keep],
            amounts=None if self.amounts is None else self.amounts[keep],
            columns=self.columns,
            row_name=_subset_names(self.row_name, np.flatnonzero(keep)),
            raw_dates=None,
        )

    @functools.cached_property
    def codes(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[Any]]:
        """An integer code per row and the sorted ids the codes stand for.

        Grouping on integer codes rather than on the ids (often strings) is
        several times faster. Factorises the column as stored, then sorts only
        the distinct ids rather than every row.
        """
        codes, found = pd.factorize(self.customer_ids)
        uniques = np.asarray(found)
        try:
            order = np.argsort(uniques, kind="stable")
        except TypeError:  # ids of mixed types that do not sort together
            order = np.arange(len(uniques))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank[codes], uniques[order]

    @functools.cached_property
    def daily(self) -> Daily:
        """Purchases per (customer, day), amounts added (see :class:`Daily`)."""
        if len(self.days) == 0:
            raise AnalyticsInputError("transactions: no rows")
        codes, ids = self.codes
        # One int64 key per (customer, day): a single-key group-by is much
        # faster than one on two columns.
        first_day = int(self.days.min())
        span = int(self.days.max()) - first_day + 1
        key = codes * span + (self.days - first_day)
        amounts = np.zeros(len(key)) if self.amounts is None else self.amounts
        totals = pd.Series(amounts).groupby(key, sort=True).sum()
        keys = totals.index.to_numpy(dtype=np.int64)
        return Daily(
            customer=keys // span,
            day=keys % span + first_day,
            amount=np.asarray(totals.to_numpy(dtype=np.float64), dtype=np.float64),
            ids=ids,
        )

    def first_rows(self, rows: npt.NDArray[np.bool_]) -> dict[Any, int]:
        """Customer id → position of their first row among the selected rows."""
        codes, ids = self.codes
        picked = np.flatnonzero(rows)
        found, first = np.unique(codes[picked], return_index=True)
        return {ids[code]: int(picked[i]) for code, i in zip(found, first, strict=True)}

    def to_frame(
        self,
        customer_col: str = "customer_id",
        datetime_col: str = "date",
        amount_col: str = "amount",
    ) -> pd.DataFrame:
        """The transactions as a frame: ids, dates (midnight) and amounts."""
        frame = pd.DataFrame(
            {
                customer_col: self.customer_ids,
                datetime_col: self.days.astype("datetime64[D]").astype(
                    "datetime64[us]"
                ),
            }
        )
        if self.amounts is not None:
            frame[amount_col] = self.amounts
        return frame

    def _shown_dates(self) -> pd.Series[Any]:
        if self.raw_dates is not None:
            return pd.Series(self.raw_dates, copy=False)
        return pd.Series([date_of_day(day) for day in self.days], dtype=object)


def as_transactions(
    data: pd.DataFrame | Transactions,
    *,
    customer_col: str | None,
    datetime_col: str | None,
    amount_col: str | None = None,
) -> Transactions:
    """``data`` itself if already checked, else :meth:`Transactions.from_frame`."""
    if isinstance(data, Transactions):
        return data
    if customer_col is None or datetime_col is None:
        raise AnalyticsInputError(
            "customer_col and datetime_col: needed to read a frame of transactions"
        )
    return Transactions.from_frame(
        data,
        customer_col=customer_col,
        datetime_col=datetime_col,
        amount_col=amount_col,
    )


def _subset_names(names: RowName, positions: npt.NDArray[np.intp]) -> RowName:
    def name(position: int) -> str:
        return names(int(positions[position]))

    return name


def _day_numbers(
    values: pd.Series[Any], name: str, date_format: str | None
) -> npt.NDArray[np.int64]:
    """Day numbers since 1970-01-01; int64 minimum where missing or unparsable."""
    if date_format is not None:
        text = values.astype("string")
        try:
            stamps = pd.to_datetime(text, errors="coerce", format=date_format)
        except ValueError as error:  # a format strptime cannot use at all
            raise AnalyticsInputError(f"date_format: {error}") from None
    elif pd.api.types.is_datetime64_any_dtype(values.dtype):
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
    seconds = day_stamps.to_numpy(np.int64, na_value=_NOT_A_DAY)
    result: npt.NDArray[np.int64] = np.where(
        seconds == _NOT_A_DAY, seconds, seconds // 86_400
    )
    return result


def _reject(
    column: str,
    values: pd.Series[Any],
    bad: npt.NDArray[np.bool_],
    what: str,
    row_name: RowName,
    after: str = "",
) -> None:
    if not bool(bad.any()):
        return
    position = int(np.flatnonzero(bad)[0])
    shown = _show(values.iloc[position])
    raise AnalyticsInputError(
        f"column '{column}', {row_name(position)}: {what} ({shown}){after}"
    )


def _show(value: Any) -> str:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return "empty"
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    return str(value)
