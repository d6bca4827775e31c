"""Finished runs and snapshots written directly (the scoring run is not what
these tests are about)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from guanxi.insights.models import PlaybookAction, ScoreRun, ScoreSnapshot, StageChange
from guanxi.insights.playbook.defaults import DEFAULT_ACTIONS

__all__ = [
    "make_run",
    "make_snapshot",
    "make_stage_change",
    "playbook_defaults",
    "record_stage_changes",
]


def make_run(as_of: dt.date, *, status: str = "done", **values: Any) -> ScoreRun:
    run, _ = ScoreRun.objects.update_or_create(
        as_of=as_of, defaults={"status": status, **values}
    )
    return run


def make_snapshot(customer: Any, as_of: dt.date, **values: Any) -> ScoreSnapshot:
    """A snapshot of a growing, basic, ordinary customer unless told otherwise."""
    fields: dict[str, Any] = {
        "orders": 4,
        "total_spend": 1200.0,
        "first_purchase": as_of - dt.timedelta(days=90),
        "last_purchase": as_of - dt.timedelta(days=10),
        "days_since_last_purchase": 10,
        "mean_gap_days": 20.0,
        "r_score": 3,
        "f_score": 3,
        "m_score": 3,
        "rfm_segment": "potential_loyalists",
        "current_value": 800.0,
        "potential_value": 950.0,
        "value_score": 0.42,
        "quadrant": "basic",
        "stage": "growing",
        "emotion": "ordinary",
        "p_alive": 0.8,
        "expected_purchases_90d": 1.6,
        "churn_risk": 0.2,
    }
    fields.update(values)
    return ScoreSnapshot.objects.create(
        customer_id=getattr(customer, "pk", customer), as_of=as_of, **fields
    )


def make_stage_change(
    customer: Any, as_of: dt.date, to_stage: str, from_stage: str = ""
) -> StageChange:
    return StageChange.objects.create(
        customer_id=getattr(customer, "pk", customer),
        as_of=as_of,
        from_stage=from_stage,
        to_stage=to_stage,
    )


def playbook_defaults() -> None:
    """The seed playbook, as migration 0002 writes it (tests on a flushed
    database, e.g. with a live server, have lost it)."""
    if not PlaybookAction.objects.exists():
        PlaybookAction.objects.bulk_create(
            [PlaybookAction(**row._asdict()) for row in DEFAULT_ACTIONS]
        )


def record_stage_changes(as_of: dt.date, previous: dt.date) -> None:
    """The stage changes a run records between its snapshots and the previous
    run's (the run's own statement)."""
    from guanxi.insights.runs import _record_stage_changes

    _record_stage_changes(as_of, previous)
