"""The evaluation's writing row by row (every signal's customers read into
Python, each warning's signals built as a dict and written by
``apply_fired``): what the set-based writing (``care.opening``) is compared
with, row for row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from guanxi.care import evaluation
from guanxi.care.batches import CHUNK
from guanxi.care.choices import Signal
from guanxi.care.firing import (
    _LOW_P_ALIVE,
    _NO_PURCHASE,
    _PAST_RHYTHM,
    Fired,
    drop_found,
    fire_complaints,
    fire_feedback,
    quiet_found,
    snapshot_found,
    start_of,
)
from guanxi.care.thresholds import Thresholds
from guanxi.care.writing import apply_fired

__all__ = ["row_by_row", "warnings_open_row_by_row"]


def warnings_open_row_by_row(
    day: dt.date, limits: Thresholds, *, since: dt.date | None
) -> tuple[int, int]:
    fired = fire_all(day, limits, since=since)
    return apply_fired(day, fired, limits.config, scores_day=day)


def row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``warnings_evaluate`` write row by row."""
    monkeypatch.setattr(evaluation, "warnings_open_all", warnings_open_row_by_row)


def fire_all(day: dt.date, limits: Thresholds, *, since: dt.date | None) -> Fired:
    """Every customer a signal fires for as of ``day``, with its details, in
    Python (the row-by-row reference; a daily evaluation writes set-based)."""
    fired: Fired = {}

    def add(customer_id: int, signal: Signal, details: dict[str, Any]) -> None:
        fired.setdefault(customer_id, {})[signal.value] = details

    _fire_snapshots(day, limits, fired)
    end = start_of(day + dt.timedelta(days=1))
    _fire_quiet(day, limits, end=end, add=add)
    _fire_drop(day, limits, end=end, add=add)
    fire_complaints(day, limits, end=end, add=add, scores_day=day)
    fire_feedback(day, limits, since=since, end=end, add=add, scores_day=day)
    return fired


def _fire_snapshots(day: dt.date, limits: Thresholds, fired: Fired) -> None:
    """The signals of the scoring run's snapshots, one query each (only the
    customers it fires for and whose open warning lacks it come back)."""
    for signal, found, fields in snapshot_found(day, limits):
        picked = found.values_list("customer_id", *fields).order_by()
        # The rows as the driver gives them (numbers): Django's per-row
        # converters cost more than the query at a million rows.
        sql, params = picked.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(CHUNK):
                _add_snapshots(signal.value, batch, fired)


def _add_snapshots(key: str, rows: list[tuple[Any, ...]], fired: Fired) -> None:
    """The signal's details (the same test as the query, in Python; a
    threshold may come back as a decimal from PostgreSQL, a float literal
    being ``numeric`` there)."""
    for row in rows:
        customer_id, value = row[0], row[1]
        if value is None:
            continue
        if key == _NO_PURCHASE:
            if value >= row[2]:
                fired.setdefault(customer_id, {})[key] = {"days": value}
        elif key == _PAST_RHYTHM:
            gap, k = row[2], float(row[3])
            if gap and value > gap * k:
                fired.setdefault(customer_id, {})[key] = {
                    "days": value,
                    "gap": round(gap, 1),
                    "k": float(k),
                }
        elif key == _LOW_P_ALIVE:
            if value < float(row[2]):
                fired.setdefault(customer_id, {})[key] = {"p_alive": round(value, 4)}
        elif value >= float(row[2]):
            fired.setdefault(customer_id, {})[key] = {"risk": round(value, 4)}


def _fire_quiet(
    day: dt.date, limits: Thresholds, *, end: dt.datetime, add: Any
) -> None:
    quiet = quiet_found(day, limits, end=end)
    for customer_id, last in (
        quiet.values_list("customer_id", "last").order_by().iterator(chunk_size=CHUNK)
    ):
        days = (day - timezone.localtime(last).date()).days
        add(customer_id, Signal.QUIET, {"days": days})


def _fire_drop(day: dt.date, limits: Thresholds, *, end: dt.datetime, add: Any) -> None:
    dropped = drop_found(day, limits, end=end)
    for customer_id, this_week, last_week in dropped.iterator(chunk_size=CHUNK):
        add(
            customer_id,
            Signal.ACTIVITY_DROP,
            {"this_week": this_week, "last_week": last_week},
        )
