"""The dashboard's figures, computed once per scoring run and read per request.

A dashboard at a million customers cannot count a million snapshots per page
view, so when a run has finished (:data:`~guanxi.insights.signals.run_finished`)
four grouped queries over its snapshots — by account manager — give every
figure for everyone (``"all"``) and for each account manager's customers
(``"user-<id>"``, the keys of ``CustomerScope.cache_key``), stored as one small
:class:`~guanxi.insights.models.RunFigures` row per scope:

- customers by quadrant, stage and emotion layer, and the predicted value,
- the 5 × 5 grid of R × F scores (count and summed M score per cell),
- the potential value (CLV) histogram (:data:`PV_EDGES`),
- the stage flow from the previous finished run (previous stage → stage).

Scope follows the customer's account manager at the time of the run.
Writing again for the same run replaces its rows (idempotent).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, Sum, When

from guanxi.insights.choices import Quadrant, RunStatus
from guanxi.insights.models import RunFigures, ScoreRun, ScoreSnapshot

__all__ = ["ALL", "PV_EDGES", "run_figures_write"]

ALL = "all"
#: Lower edges of the potential value bins (the last bin is open-ended).
PV_EDGES: tuple[int, ...] = (0, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
#: A customer is "high value" in the share-over-time chart: the star quadrant.
HIGH_VALUE = Quadrant.STAR.value
_MANAGER = "customer__assigned_manager"

Progress = Callable[[str, float], Any] | None


def _scope(manager_id: int | None) -> str | None:
    return f"user-{manager_id}" if manager_id is not None else None


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


def _tally(run: ScoreRun, progress: Progress) -> dict[str, dict[str, Any]]:
    """Figures for "all" and for each manager with scored customers."""
    figures: dict[str, dict[str, Any]] = defaultdict(_empty)
    figures[ALL] = _empty()  # every run has an "all" row, even without customers
    snapshots = ScoreSnapshot.objects.filter(as_of=run.as_of).order_by()

    def targets(manager_id: int | None) -> list[dict[str, Any]]:
        scope = _scope(manager_id)
        return [figures[ALL]] + ([figures[scope]] if scope is not None else [])

    rows = snapshots.values(_MANAGER, "quadrant", "stage", "emotion").annotate(
        n=Count("id"), pv=Sum("potential_value")
    )
    for row in rows:
        for fig in targets(row[_MANAGER]):
            _add(fig["quadrants"], row["quadrant"], row["n"])
            _add(fig["stages"], row["stage"], row["n"])
            _add(fig["emotions"], row["emotion"], row["n"])
            fig["potential_value"] += float(row["pv"] or 0.0)
    if progress is not None:
        progress("dashboard figures", 0.25)

    grid = (
        snapshots.filter(r_score__isnull=False, f_score__isnull=False)
        .values(_MANAGER, "r_score", "f_score")
        .annotate(n=Count("id"), m=Sum("m_score"))
    )
    cells: dict[str, dict[tuple[int, int], list[int]]] = defaultdict(dict)
    for row in grid:
        for scope in (ALL, _scope(row[_MANAGER])):
            if scope is None:
                continue
            cell = cells[scope].setdefault((row["r_score"], row["f_score"]), [0, 0])
            cell[0] += row["n"]
            cell[1] += int(row["m"] or 0)
    for scope, by_cell in cells.items():
        figures[scope]["rfm"] = [
            [r, f, n, m] for (r, f), (n, m) in sorted(by_cell.items())
        ]
    if progress is not None:
        progress("dashboard figures", 0.5)

    bins = snapshots.annotate(bin=_pv_bin()).values(_MANAGER, "bin")
    for row in bins.annotate(n=Count("id")):
        for fig in targets(row[_MANAGER]):
            fig["pv_bins"][row["bin"]] += row["n"]
    if progress is not None:
        progress("dashboard figures", 0.75)

    previous = (
        ScoreRun.objects.filter(status=RunStatus.DONE, as_of__lt=run.as_of)
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )
    if previous is not None:
        before = ScoreSnapshot.objects.filter(
            customer_id=OuterRef("customer_id"), as_of=previous
        ).values("stage")[:1]
        flows = (
            snapshots.annotate(was=Subquery(before))
            .values(_MANAGER, "was", "stage")
            .annotate(n=Count("id"))
        )
        links: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
        for row in flows:
            key = (row["was"] or "", row["stage"])
            for scope in (ALL, _scope(row[_MANAGER])):
                if scope is not None:
                    links[scope][key] = links[scope].get(key, 0) + row["n"]
        for scope, by_pair in links.items():
            figures[scope]["flow"] = {
                "previous": previous.isoformat(),
                "links": [[a, b, n] for (a, b), n in sorted(by_pair.items())],
            }
    return figures


def run_figures_write(*, run: ScoreRun, progress: Progress = None) -> int:
    """Compute and store the dashboard's figures of ``run`` (replacing any
    earlier ones of the same run); returns the number of scopes written."""
    figures = _tally(run, progress)
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
    if progress is not None:
        progress("dashboard figures", 1.0)
    return len(rows)


def on_run_finished(
    sender: Any, *, run: ScoreRun, progress: Progress = None, **kwargs: Any
) -> None:
    """Receiver of ``run_finished``: the figures of the run that just finished."""
    run_figures_write(run=run, progress=progress)
