"""Which playbook row a customer gets, and why.

Every row whose stage and quadrant fit (blank fits any) is a candidate. The
most specific wins: a row naming both the stage and the quadrant, then a row
naming one of them, then the general row. Between a stage-only and a
quadrant-only row the higher priority wins (the defaults rank at risk, lapsed,
new and prospect above the quadrants: an at-risk star gets the empathy call
first); on equal priority the stage row wins, as the more urgent fact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from guanxi.insights.models import PlaybookAction

__all__ = ["PlaybookChoice", "playbook_choose"]


@dataclass(frozen=True)
class PlaybookChoice:
    """The chosen row, and the row it was preferred to (same specificity,
    lower priority), if any."""

    action: PlaybookAction
    beaten: PlaybookAction | None = None


def _specificity(row: PlaybookAction) -> int:
    return (2 if row.stage and row.quadrant else 1) if row.stage or row.quadrant else 0


def _rank(row: PlaybookAction) -> tuple[int, int, int, int]:
    return (_specificity(row), row.priority, 1 if row.stage else 0, -(row.pk or 0))


def playbook_choose(
    actions: Iterable[PlaybookAction], *, stage: str, quadrant: str
) -> PlaybookChoice | None:
    """The action for a customer of ``stage`` and ``quadrant`` from the playbook's
    rows ``actions``; None when no row fits (the general row was deleted)."""
    fitting = sorted(
        (
            row
            for row in actions
            if row.stage in ("", stage) and row.quadrant in ("", quadrant)
        ),
        key=_rank,
        reverse=True,
    )
    if not fitting:
        return None
    best = fitting[0]
    runner_up = fitting[1] if len(fitting) > 1 else None
    beaten = (
        runner_up
        if runner_up is not None and _specificity(runner_up) == _specificity(best)
        else None
    )
    return PlaybookChoice(action=best, beaten=beaten)
