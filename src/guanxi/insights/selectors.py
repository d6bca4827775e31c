"""Reads of scores: the latest finished run, a customer's snapshots and stage
history, the business's settings — every list scoped like the customers.

A snapshot is in scope exactly when its customer is
(:mod:`guanxi.access.scope`); other apps read scores only through here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from guanxi.access.policies import scope_for
from guanxi.insights.choices import FollowupStatus, RunStatus
from guanxi.insights.figures import PV_EDGES
from guanxi.insights.models import (
    InsightSettings,
    PlaybookAction,
    RunFigures,
    ScoreRun,
    ScoreSnapshot,
    StageChange,
)
from guanxi.insights.playbook.lookup import PlaybookChoice, playbook_choose

__all__ = [
    "PV_EDGES",
    "CustomerScores",
    "DashboardScores",
    "PlaybookChoice",
    "customer_scores",
    "dashboard_scores",
    "followups_pending",
    "insight_settings",
    "latest_as_of",
    "latest_run",
    "playbook_choice_for",
    "run_done_on",
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


def followups_pending(run: ScoreRun | None) -> dt.date | None:
    """The as-of date of ``run`` (the latest finished one, :func:`latest_run`)
    if its follow-up chain (the automatic tags first) has not finished yet:
    until then the tags are the run before's, and pages that combine tags
    with the new scores say so. No query of its own."""
    if run is not None and run.followups in (
        FollowupStatus.QUEUED,
        FollowupStatus.RUNNING,
    ):
        return run.as_of
    return None


def run_done_on(*, as_of: dt.date) -> bool:
    """Whether a scoring run as of ``as_of`` has finished."""
    return ScoreRun.objects.filter(as_of=as_of, status=RunStatus.DONE).exists()


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


def playbook_choice_for(*, stage: str, quadrant: str) -> PlaybookChoice | None:
    """The playbook's next action for a customer of ``stage`` and ``quadrant``
    (the most specific rule; see ``insights.playbook.lookup``)."""
    rows = PlaybookAction.objects.filter(
        stage__in=("", stage), quadrant__in=("", quadrant)
    )
    return playbook_choose(rows, stage=stage, quadrant=quadrant)


#: Runs shown in the dashboard's share-over-time chart.
SERIES_RUNS = 60


@dataclass(frozen=True)
class DashboardScores:
    """The scores part of a dashboard: the latest finished run's figures for
    the viewer's scope (``figures`` is None when none were computed for that
    run) and the per-run series of customers and high-value customers."""

    as_of: dt.date | None
    figures: dict[str, Any] | None
    series: list[tuple[dt.date, int, int]] = field(default_factory=list)


def dashboard_scores(*, actor: Any) -> DashboardScores:
    """Read the figures of ``actor``'s scope (written once per run by
    ``insights.figures``): a few small rows whatever the number of customers."""
    scope = scope_for(actor)
    run = latest_run()
    if run is None or scope.nobody:
        return DashboardScores(as_of=run.as_of if run else None, figures=None)
    key = scope.cache_key
    found = {
        row.scope: row
        for row in RunFigures.objects.filter(run=run, scope__in={key, "all"})
    }
    if key in found:
        figures: dict[str, Any] | None = found[key].figures
    elif "all" in found:  # a manager with no customers in this run
        figures = {}
    else:
        figures = None
    series = list(
        RunFigures.objects.filter(
            scope=key, run__status=RunStatus.DONE, run__as_of__lte=run.as_of
        )
        .order_by("-run__as_of")
        .values_list("run__as_of", "customers", "high_value")[:SERIES_RUNS]
    )
    series.reverse()
    return DashboardScores(as_of=run.as_of, figures=figures, series=series)


@dataclass(frozen=True)
class CustomerScores:
    """A customer's snapshots of finished runs, the latest first, and the
    latest run's date (None before the first run)."""

    as_of: dt.date | None
    history: list[ScoreSnapshot]

    @property
    def current(self) -> ScoreSnapshot | None:
        return self.history[0] if self.history else None


def customer_scores(*, customer_id: int, limit: int = 36) -> CustomerScores:
    """:func:`snapshot_history` and :func:`latest_as_of` in two queries (the
    caller has checked that the customer is in scope)."""
    day = latest_as_of()
    if day is None:
        return CustomerScores(as_of=None, history=[])
    history = list(
        ScoreSnapshot.objects.filter(customer_id=customer_id, as_of__lte=day).order_by(
            "-as_of"
        )[:limit]
    )
    return CustomerScores(as_of=day, history=history)
