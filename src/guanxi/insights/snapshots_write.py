"""Writing a run's snapshots: one row per customer, a chunk per transaction.

Rows are written in ascending customer id, ``written_through`` moved in the
same transaction as each chunk (a run that dies is resumed after it).

The rows go through :class:`~guanxi.core.bulk.RowWriter` on Django's own
connection. Not through a second SQLite library (ADBC's, which the run uses
for its reads): two copies of SQLite writing one file in one process share
its POSIX locks, and a test run of that wrote a malformed database.

The rows are built a column at a time into an object array (numpy makes the
Python numbers), a piece of a chunk at a time; each statement's parameters
are cut from it whole. Building them in a thread beside SQLite (which lets go
of the GIL) was measured slower than this, see docs/benchmarks/score.md.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from guanxi.core.bulk import RowWriter
from guanxi.insights.models import ScoreRun, ScoreSnapshot

__all__ = ["SNAPSHOT_COLUMNS", "snapshots_write"]

#: Snapshots written per transaction (GUANXI_SCORE_CHUNK).
CHUNK = 50_000


def _chunk() -> int:
    from django.conf import settings

    return max(1, int(getattr(settings, "GUANXI_SCORE_CHUNK", CHUNK)))


SNAPSHOT_COLUMNS = (
    "customer",
    "as_of",
    "orders",
    "total_spend",
    "first_purchase",
    "last_purchase",
    "days_since_last_purchase",
    "mean_gap_days",
    "orders_30d",
    "spend_30d",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
    "current_value",
    "potential_value",
    "value_score",
    "quadrant",
    "stage",
    "emotion",
    "emotion_reasons",
    "p_alive",
    "expected_purchases_90d",
    "churn_risk",
    "churn_reasons",
)


#: Columns written as numbers, and their decimal places (None: whole numbers,
#: written as ints).
_NUMBERS = {
    "orders": None,
    "total_spend": 2,
    "days_since_last_purchase": None,
    "mean_gap_days": 6,
    "orders_30d": None,
    "spend_30d": 2,
    "r_score": None,
    "f_score": None,
    "m_score": None,
    "current_value": 2,
    "potential_value": 2,
    "value_score": 6,
    "p_alive": 6,
    "expected_purchases_90d": 6,
    "churn_risk": 6,
}
#: Columns written as dates, from the frame's day numbers.
_DATES = {"first_purchase": "first_day", "last_purchase": "last_day"}
#: Rows built at a time (a chunk is a few pieces): the rows in memory as
#: Python objects stay a piece, not a chunk.
PIECE = 10_000
_EPOCH = dt.date(1970, 1, 1)


@functools.cache
def _day_text(day: int) -> str:
    return (_EPOCH + dt.timedelta(days=day)).isoformat()


def _dates(days: pd.Series) -> np.ndarray:
    """Day numbers (NaN for none) as ISO dates (None), each distinct day
    converted once."""
    values = days.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    out = np.full(len(values), None, dtype=object)
    if missing.all():
        return out
    known = values[~missing].astype(np.int64)
    distinct, where = np.unique(known, return_inverse=True)
    texts = np.array([_day_text(day) for day in distinct.tolist()], dtype=object)
    out[~missing] = texts[where]
    return out


def _numbers(column: pd.Series, digits: int | None) -> np.ndarray:
    """A column as Python numbers (None for a missing value), rounded to
    ``digits`` places, or whole numbers as ints when ``digits`` is None."""
    values = column.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    if digits is None:
        out = np.where(missing, 0.0, values).astype(np.int64).astype(object)
    else:
        out = np.round(values, digits).astype(object)
    if missing.any():
        out[missing] = None
    return out


def _block(frame: pd.DataFrame, as_of: dt.date) -> np.ndarray:
    """The snapshot rows of ``frame`` as an object array, a row per customer in
    the order of :data:`SNAPSHOT_COLUMNS`, filled a column at a time (numpy
    makes the Python numbers; no tuple per row)."""
    block = np.empty((len(frame), len(SNAPSHOT_COLUMNS)), dtype=object)
    for place, name in enumerate(SNAPSHOT_COLUMNS):
        if name == "customer":
            block[:, place] = frame.index.to_numpy(dtype=np.int64).astype(object)
        elif name == "as_of":
            block[:, place] = as_of.isoformat()
        elif name in _DATES:
            block[:, place] = _dates(frame[_DATES[name]])
        elif name in _NUMBERS:
            block[:, place] = _numbers(frame[name], _NUMBERS[name])
        else:
            block[:, place] = frame[name].to_numpy(dtype=object)
    return block


def _chunks(count: int, size: int) -> list[list[tuple[int, int]]]:
    """The row ranges of each chunk of ``size`` rows, in pieces of at most
    :data:`PIECE` rows."""
    step = min(PIECE, size)
    return [
        [
            (first, min(first + step, chunk + size, count))
            for first in range(chunk, min(chunk + size, count), step)
        ]
        for chunk in range(0, count, size)
    ]


def snapshots_write(
    run: ScoreRun, frame: pd.DataFrame, step: Callable[[float], None]
) -> None:
    """Write the snapshots of ``frame`` past the run's ``written_through``
    (``step`` gets the share written after each chunk)."""
    start = int(run.written_through)
    with transaction.atomic():
        # A resumed or repeated run: whatever is past the checkpoint goes.
        ScoreSnapshot.objects.filter(as_of=run.as_of, customer_id__gt=start).delete()
    # The frame is in ascending customer id: the rows past the checkpoint are
    # a slice of it, not a copy (a boolean mask copied every column, hundreds
    # of MB at a million customers, at the run's peak of memory).
    todo = (
        frame.iloc[int(frame.index.searchsorted(start, side="right")) :]
        if frame.index.is_monotonic_increasing
        else frame[frame.index > start]
    )
    total = max(len(todo), 1)
    writer = RowWriter(ScoreSnapshot, SNAPSHOT_COLUMNS)
    for pieces in _chunks(len(todo), _chunk()):
        end = pieces[-1][1]
        with transaction.atomic():
            for first, last in pieces:
                writer.insert(_block(todo.iloc[first:last], run.as_of))
            ScoreRun.objects.filter(pk=run.pk).update(
                written_through=int(todo.index[end - 1]),
                heartbeat_at=timezone.now(),
            )
        step(min(1.0, end / total))
