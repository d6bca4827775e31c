"""Scores for the segment tests: a finished run and one snapshot per customer,
written directly (the scoring run itself is the insights app's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from guanxi.insights.models import ScoreRun, ScoreSnapshot

AS_OF = dt.date(2026, 11, 30)


def scored_run(as_of: dt.date = AS_OF, *, status: str = "done") -> ScoreRun:
    run, _ = ScoreRun.objects.update_or_create(
        as_of=as_of, defaults={"status": status, "progress": 100}
    )
    return run


def snapshot(customer: Any, as_of: dt.date = AS_OF, **values: Any) -> ScoreSnapshot:
    """A snapshot of ``customer``: a basic, ordinary prospect unless told."""
    values.setdefault("quadrant", "basic")
    values.setdefault("stage", "prospect")
    values.setdefault("emotion", "ordinary")
    return ScoreSnapshot.objects.create(customer=customer, as_of=as_of, **values)
