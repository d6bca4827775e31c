"""Reads of scores: the latest finished run, a customer's snapshots and stage
history, the business's settings — every list scoped like the customers.

A snapshot is in scope exactly when its customer is
(:mod:`guanxi.access.scope`); other apps read scores only through here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from guanxi.access.policies import scope_for
from guanxi.insights.choices import RunStatus
from guanxi.insights.models import InsightSettings, ScoreRun, ScoreSnapshot, StageChange

__all__ = [
    "insight_settings",
    "latest_as_of",
    "latest_run",
    "run_list",
    "snapshot_current",
    "snapshot_history",
    "snapshot_rows",
    "snapshot_scope",
    "stage_change_list",
    "stage_change_scope",
]


def insight_settings() -> InsightSettings:
    """The business's cut points and rules (the defaults until an admin saves)."""
    found = InsightSettings.objects.filter(pk=1).first()
    return found if found is not None else InsightSettings(pk=1)


def latest_run() -> ScoreRun | None:
    """The finished run with the latest as-of date, if any."""
    return ScoreRun.objects.filter(status=RunStatus.DONE).order_by("-as_of").first()


def latest_as_of() -> dt.date | None:
    run = latest_run()
    return run.as_of if run is not None else None


def run_list() -> QuerySet[ScoreRun]:
    """Every run, the latest as-of first (runs hold counts, no personal data)."""
    return ScoreRun.objects.select_related("started_by").order_by("-as_of")


def snapshot_scope(
    *, actor: Any, as_of: dt.date | None = None
) -> QuerySet[ScoreSnapshot]:
    """The snapshots of ``as_of`` (default: the latest finished run) whose
    customer ``actor`` may see; none before the first run."""
    day = as_of if as_of is not None else latest_as_of()
    rows = ScoreSnapshot.objects.all()
    if day is None:
        return rows.none()
    return scope_for(actor).apply(rows.filter(as_of=day), via="customer")


def snapshot_rows(*, as_of: dt.date) -> QuerySet[ScoreSnapshot]:
    """Every snapshot of ``as_of``, unscoped: for the system's own work after a
    run (automatic tags, segment counts), never for showing to a user."""
    return ScoreSnapshot.objects.filter(as_of=as_of)


def snapshot_current(*, customer_id: int) -> ScoreSnapshot | None:
    """The customer's latest snapshot of a finished run (the caller has checked
    that the customer is in scope, e.g. with ``customer_get``)."""
    day = latest_as_of()
    if day is None:
        return None
    return (
        ScoreSnapshot.objects.filter(customer_id=customer_id, as_of__lte=day)
        .order_by("-as_of")
        .first()
    )


def snapshot_history(*, customer_id: int, limit: int = 36) -> list[ScoreSnapshot]:
    """The customer's snapshots of finished runs, the latest first."""
    day = latest_as_of()
    if day is None:
        return []
    return list(
        ScoreSnapshot.objects.filter(customer_id=customer_id, as_of__lte=day).order_by(
            "-as_of"
        )[:limit]
    )


def stage_change_list(*, customer_id: int) -> QuerySet[StageChange]:
    """The customer's stage changes, the latest first (timeline events)."""
    return StageChange.objects.filter(customer_id=customer_id).order_by("-as_of")


def stage_change_scope(*, actor: Any) -> QuerySet[StageChange]:
    """Every stage change whose customer ``actor`` may see."""
    return scope_for(actor).apply(StageChange.objects.all(), via="customer")
