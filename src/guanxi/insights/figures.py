"""The dashboard's figures, computed once per scoring run and read per request.

A dashboard at a million customers cannot count a million snapshots per page
view, so when a run has finished (:data:`~guanxi.insights.signals.run_finished`)
one grouped query over its snapshots and one over its stage changes — by
account manager — give every figure for everyone (``"all"``) and for each
account manager's customers (``"user-<id>"``, the keys of
``CustomerScope.cache_key``), stored as one small
:class:`~guanxi.insights.models.RunFigures` row per scope:

- customers by quadrant, stage and emotion layer, and the predicted value,
- the 5 × 5 grid of R × F scores (count and summed M score per cell),
- the potential value (CLV) histogram (:data:`PV_EDGES`),
- the stage flow from the previous finished run (previous stage → stage).

Scope follows the customer's account manager at the time of the run.
Writing again for the same run replaces its rows (idempotent).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, IntegerField, Sum, When

from guanxi.access.policies import manager_scope_field, manager_scope_key
from guanxi.insights.choices import Quadrant, RunStatus
from guanxi.insights.models import RunFigures, ScoreRun, ScoreSnapshot, StageChange

__all__ = ["ALL", "PV_EDGES", "run_figures_write"]

ALL = "all"
#: Lower edges of the potential value bins (the last bin is open-ended).
PV_EDGES: tuple[int, ...] = (0, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
#: A customer is "high value" in the share-over-time chart: the star quadrant.
HIGH_VALUE = Quadrant.STAR.value
#: Whose customer a snapshot is: the scope rule's own field (access).
_MANAGER = manager_scope_field(via="customer")

Progress = Callable[[str, float], Any] | None


def _scope(manager_id: int | None) -> str | None:
    return manager_scope_key(manager_id) if manager_id is not None else None


def _empty() -> dict[str, Any]:
    return {
        "quadrants": {},
        "stages": {},
        "emotions": {},
        "potential_value": 0.0,
        "rfm": [],
        "pv_bins": [0] * len(PV_EDGES),
        "flow": {"previous": None, "links": []},
    }


def _pv_bin() -> Case:
    whens = [
        When(potential_value__lt=upper, then=index)
        for index, upper in enumerate(PV_EDGES[1:])
    ]
    return Case(*whens, default=len(PV_EDGES) - 1, output_field=IntegerField())


def _add(counts: dict[str, int], key: str, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


def _scopes(manager_id: int | None) -> list[str]:
    """The scopes a customer of ``manager_id`` counts in."""
    scope = _scope(manager_id)
    return [ALL] if scope is None else [ALL, scope]


def _tally(run: ScoreRun) -> dict[str, dict[str, Any]]:
    """Figures for "all" and for each manager with scored customers.

    One grouped query reads the run's snapshots once (at a million customers
    reading them is most of the cost: four queries, one per figure, took four
    times as long). The stage flow comes from the run's stage changes (the
    run records one per customer whose stage differs from the previous run's,
    or who was not scored then): the customers without one stayed where they
    were, so joining the previous run's snapshots (half the time again) is
    not needed.
    """
    figures: dict[str, dict[str, Any]] = defaultdict(_empty)
    figures[ALL] = _empty()  # every run has an "all" row, even without customers
    rows = (
        ScoreSnapshot.objects.filter(as_of=run.as_of)
        .order_by()
        .annotate(bin=_pv_bin())
        .values(_MANAGER, "quadrant", "stage", "emotion", "r_score", "f_score", "bin")
        .annotate(n=Count("id"), pv=Sum("potential_value"), m=Sum("m_score"))
    )
    cells: dict[str, dict[tuple[int, int], list[int]]] = defaultdict(dict)
    for row in rows:
        n = row["n"]
        for scope in _scopes(row[_MANAGER]):
            fig = figures[scope]
            _add(fig["quadrants"], row["quadrant"], n)
            _add(fig["stages"], row["stage"], n)
            _add(fig["emotions"], row["emotion"], n)
            fig["potential_value"] += float(row["pv"] or 0.0)
            fig["pv_bins"][row["bin"]] += n
            if row["r_score"] is not None and row["f_score"] is not None:
                cell = cells[scope].setdefault((row["r_score"], row["f_score"]), [0, 0])
                cell[0] += n
                cell[1] += int(row["m"] or 0)
    for scope, by_cell in cells.items():
        figures[scope]["rfm"] = [
            [r, f, n, m] for (r, f), (n, m) in sorted(by_cell.items())
        ]
    previous = (
        ScoreRun.objects.filter(status=RunStatus.DONE, as_of__lt=run.as_of)
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )
    if previous is not None:
        _flow(run, previous, figures)
    return figures


def _flow(run: ScoreRun, previous: dt.date, figures: dict[str, dict[str, Any]]) -> None:
    """Previous stage → stage for each scope: the run's changes, and for each
    stage the customers who were in it already."""
    links: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    changes = (
        StageChange.objects.filter(as_of=run.as_of)
        .order_by()
        .values(_MANAGER, "from_stage", "to_stage")
        .annotate(n=Count("id"))
    )
    for row in changes:
        pair = (row["from_stage"] or "", row["to_stage"])
        for scope in _scopes(row[_MANAGER]):
            links[scope][pair] = links[scope].get(pair, 0) + row["n"]
    for scope, fig in figures.items():
        by_pair = links[scope]
        for stage, count in fig["stages"].items():
            arrived = sum(n for (_a, b), n in by_pair.items() if b == stage)
            if count > arrived:
                by_pair[(stage, stage)] = count - arrived
        fig["flow"] = {
            "previous": previous.isoformat(),
            "links": [[a, b, n] for (a, b), n in sorted(by_pair.items())],
        }


def run_figures_write(*, run: ScoreRun) -> int:
    """Compute and store the dashboard's figures of ``run`` (replacing any
    earlier ones of the same run); returns the number of scopes written."""
    figures = _tally(run)
    rows = [
        RunFigures(
            run=run,
            scope=scope,
            customers=sum(fig["quadrants"].values()),
            high_value=fig["quadrants"].get(HIGH_VALUE, 0),
            figures={**fig, "potential_value": round(fig["potential_value"], 2)},
        )
        for scope, fig in figures.items()
    ]
    with transaction.atomic():
        RunFigures.objects.filter(run=run).delete()
        RunFigures.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def on_run_finished(
    sender: Any, *, run: ScoreRun, progress: Progress = None, **kwargs: Any
) -> None:
    """Receiver of ``run_finished``: the figures of the run that just finished.

    It does not report progress: the callback's share is the whole run's, and
    the run reports "finishing" itself after its receivers (a few seconds at
    a million customers, see docs/benchmarks/c360.md).
    """
    run_figures_write(run=run)
