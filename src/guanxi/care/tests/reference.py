"""The evaluation's writing row by row (every signal's customers read into
Python, each warning's signals built as a dict and written by
``apply_fired``): what the set-based writing (``care.opening``) is compared
with, row for row."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.care import evaluation
from guanxi.care.firing import fire_all
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
