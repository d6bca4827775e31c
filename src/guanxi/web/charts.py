"""The dashboard's score charts: a run's figures (``insights.figures``) as the
JSON ``dashboard.js`` draws, every label in the reader's language."""

from __future__ import annotations

import itertools
from typing import Any

from django.utils.translation import gettext as _

from guanxi.insights.choices import Emotion, Quadrant, Stage
from guanxi.insights.selectors import PV_EDGES, DashboardScores

__all__ = ["score_charts", "score_stats"]

GRID = range(1, 6)


def _pv_labels() -> list[str]:
    labels = [f"¥{low:,}–{high:,}" for low, high in itertools.pairwise(PV_EDGES)]
    return [*labels, f"¥{PV_EDGES[-1]:,}+"]


def _share(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _flow(flow: dict[str, Any]) -> dict[str, Any] | None:
    links = flow.get("links") or []
    if not flow.get("previous") or not links:
        return None
    names = {stage.value: str(stage.label) for stage in Stage}
    nodes: dict[str, str] = {}
    out = []
    for was, now, n in links:
        source = f"a:{was}"
        target = f"b:{now}"
        nodes[source] = names.get(was, was) if was else _("Not scored before")
        nodes[target] = names.get(now, now)
        out.append({"source": source, "target": target, "value": n})
    return {
        "previous": flow["previous"],
        "nodes": [{"name": key, "label": label} for key, label in nodes.items()],
        "links": out,
    }


def score_stats(scores: DashboardScores) -> dict[str, Any] | None:
    """The headline numbers: scored customers, high-value share, at risk,
    predicted value."""
    figures = scores.figures
    if figures is None:
        return None
    quadrants = figures.get("quadrants", {})
    stages = figures.get("stages", {})
    total = sum(quadrants.values())
    return {
        "customers": total,
        "high_value": quadrants.get(Quadrant.STAR.value, 0),
        "high_value_share": _share(quadrants.get(Quadrant.STAR.value, 0), total),
        "at_risk": stages.get(Stage.AT_RISK.value, 0),
        "at_risk_share": _share(stages.get(Stage.AT_RISK.value, 0), total),
        "potential_value": figures.get("potential_value", 0.0),
    }


def score_charts(scores: DashboardScores) -> dict[str, Any] | None:
    """Everything dashboard.js needs to draw the score charts; None before
    the figures of the latest run exist."""
    figures = scores.figures
    if figures is None or scores.as_of is None:
        return None
    quadrants = figures.get("quadrants", {})
    stages = figures.get("stages", {})
    emotions = figures.get("emotions", {})
    cells = figures.get("rfm", [])
    return {
        "as_of": scores.as_of.isoformat(),
        "titles": {
            "quadrants": _("Customers by value quadrant"),
            "stages": _("Customers by lifecycle stage"),
            "rfm": _("RFM grid: recency × frequency"),
            "pv": _("Potential value (CLV) distribution"),
            "share": _("Share of high-value (star) customers by run"),
            "flow": _("Stage flow since the previous run"),
        },
        "labels": {
            "customers": _("Customers"),
            "share": _("High-value share"),
            "recency": _("Recency score (5 = most recent)"),
            "frequency": _("Frequency score (5 = most frequent)"),
            "mean_m": _("Mean M score"),
            "none": _("No data yet"),
        },
        "quadrants": [
            {"key": q.value, "name": str(q.label), "value": quadrants.get(q.value, 0)}
            for q in Quadrant
        ],
        "stages": [
            {"key": s.value, "name": str(s.label), "value": stages.get(s.value, 0)}
            for s in Stage
        ],
        "emotions": [
            {"key": e.value, "name": str(e.label), "value": emotions.get(e.value, 0)}
            for e in Emotion
        ],
        "rfm": {
            "r": [f"R{r}" for r in GRID],
            "f": [f"F{f}" for f in GRID],
            # [F index, R index, customers, mean M score]
            "cells": [
                [f - 1, r - 1, n, round(m / n, 2) if n else 0]
                for r, f, n, m in cells
                if r in GRID and f in GRID
            ],
            "max": max((c[2] for c in cells), default=0),
        },
        "pv": {"bins": _pv_labels(), "counts": figures.get("pv_bins", [])},
        "share": {
            "dates": [day.isoformat() for day, _n, _h in scores.series],
            "values": [_share(h, n) for _d, n, h in scores.series],
        },
        "flow": _flow(figures.get("flow") or {}),
    }
