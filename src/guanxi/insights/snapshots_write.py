"""Writing a run's snapshots: one row per customer, a chunk per transaction.

Rows are written in ascending customer id, ``written_through`` moved in the
same transaction as each chunk (a run that dies is resumed after it).

The rows go through :class:`~guanxi.core.bulk.RowWriter` on Django's own
connection. Not through a second SQLite library (ADBC's, which the run uses
for its reads): two copies of SQLite writing one file in one process share
its POSIX locks, and a test run of that wrote a malformed database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import repeat
from typing import Any

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


def _dates(days: pd.Series) -> list[str | None]:
    """Day numbers (NaN for none) as ISO dates, each distinct day converted once."""
    epoch = dt.date(1970, 1, 1)
    cache: dict[int, str] = {}
    out: list[str | None] = []
    for value in days.to_numpy(dtype=float, na_value=np.nan).tolist():
        if value != value:
            out.append(None)
            continue
        key = int(value)
        text = cache.get(key)
        if text is None:
            text = cache[key] = (epoch + dt.timedelta(days=key)).isoformat()
        out.append(text)
    return out


def _numbers(column: pd.Series, *, digits: int | None = None) -> list[Any]:
    """A column as Python numbers, None for a missing value (rounded to
    ``digits`` places; whole numbers stay ints when the column holds ints)."""
    values = column.to_numpy(dtype=float, na_value=np.nan)
    if digits is not None:
        values = np.round(values, digits)
    missing = np.isnan(values)
    if digits is None:
        listed: list[Any] = (
            values.astype(np.int64, copy=False).tolist()
            if not missing.any()
            else [
                None if m else int(v)
                for v, m in zip(values.tolist(), missing.tolist(), strict=True)
            ]
        )
        return listed
    if not missing.any():
        return values.tolist()
    return [
        None if m else v for v, m in zip(values.tolist(), missing.tolist(), strict=True)
    ]


def _rows(frame: pd.DataFrame, as_of: dt.date) -> list[tuple[Any, ...]]:
    """The snapshot rows of ``frame``, in the order of :data:`SNAPSHOT_COLUMNS`,
    converted a column at a time."""
    columns: list[Any] = [
        frame.index.to_numpy(dtype=np.int64).tolist(),
        repeat(as_of.isoformat(), len(frame)),
        _numbers(frame["orders"]),
        _numbers(frame["total_spend"], digits=2),
        _dates(frame["first_day"]),
        _dates(frame["last_day"]),
        _numbers(frame["days_since_last_purchase"]),
        _numbers(frame["mean_gap_days"], digits=6),
        _numbers(frame["orders_30d"]),
        _numbers(frame["spend_30d"], digits=2),
        _numbers(frame["r_score"]),
        _numbers(frame["f_score"]),
        _numbers(frame["m_score"]),
        frame["rfm_segment"].tolist(),
        _numbers(frame["current_value"], digits=2),
        _numbers(frame["potential_value"], digits=2),
        _numbers(frame["value_score"], digits=6),
        frame["quadrant"].tolist(),
        frame["stage"].tolist(),
        frame["emotion"].tolist(),
        frame["emotion_reasons"].tolist(),
        _numbers(frame["p_alive"], digits=6),
        _numbers(frame["expected_purchases_90d"], digits=6),
        _numbers(frame["churn_risk"], digits=6),
        frame["churn_reasons"].tolist(),
    ]
    return list(zip(*columns, strict=True))


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
    size = _chunk()
    writer = RowWriter(ScoreSnapshot, SNAPSHOT_COLUMNS)
    for offset in range(0, len(todo), size):
        chunk = todo.iloc[offset : offset + size]
        with transaction.atomic():
            writer.insert(_rows(chunk, run.as_of))
            ScoreRun.objects.filter(pk=run.pk).update(
                written_through=int(chunk.index[-1]), heartbeat_at=timezone.now()
            )
        step(min(1.0, (offset + len(chunk)) / total))
