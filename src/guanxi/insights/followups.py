"""A scoring run's follow-up chain: automatic tags → segment counts → warnings.

Each step builds on the one before (segment rules may test tags, warnings may
read segments) and on the run's snapshots, so they run in that order, after
the run has committed (:data:`~guanxi.insights.signals.run_followups`).

By default the chain is one task for the task worker, queued when the run
commits (:func:`followups_queue`): ``guanxi score`` and the admin's button
return when the scores are written. ``guanxi score --with-followups`` and the
nightly run call :func:`followups_run` inline instead: the same code, so the
same tags, segment counts and warnings.

One chain per run writes: a chain claims the run (queued → running) in one
``UPDATE``; a second task for the same run finds it claimed and does nothing,
unless the first one's sign of life is older than :data:`STALE_SECONDS` (its
worker died). A new run of the same date resets the claim, and a chain that
lost its claim records nothing on the run. The steps' times go into the run's
``summary["phases"]`` (``"followup": true``), a failed step into its message,
as for the run's own receivers.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from guanxi.insights.choices import FollowupStatus, RunStatus
from guanxi.insights.models import ScoreRun
from guanxi.insights.signals import run_followups

__all__ = ["STALE_SECONDS", "followups_queue", "followups_run", "run_followups_task"]

logger = logging.getLogger(__name__)

#: A chain whose last sign of life is older than this (seconds) is dead: the
#: next task for the run takes over. Each step reports at least every few
#: minutes at a million customers (tags on PostgreSQL are the slowest).
STALE_SECONDS = 1800
#: How often a running chain writes its sign of life and step (seconds).
BEAT_SECONDS = 2.0

Progress = Callable[[str, float], None]


def followups_queue(run: ScoreRun, *, worker: bool = True) -> None:
    """Mark the run's follow-ups queued and, with ``worker``, queue the chain
    for the task worker once the current transaction commits (without, the
    caller runs :func:`followups_run` itself)."""
    ScoreRun.objects.filter(pk=run.pk).update(
        followups=FollowupStatus.QUEUED, followups_at=timezone.now()
    )
    run.followups = FollowupStatus.QUEUED
    if worker:
        run_pk = run.pk
        transaction.on_commit(lambda: run_followups_task(run_pk))


def followups_run(*, run_id: int, progress: Progress | None = None) -> bool:
    """Run the chain of the finished run ``run_id`` if it is queued (or its
    chain died); False when there is nothing to do (another chain has it,
    it is done, or the run is not finished)."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=STALE_SECONDS)
    claimed = (
        ScoreRun.objects.filter(pk=run_id, status=RunStatus.DONE)
        .filter(
            Q(followups=FollowupStatus.QUEUED)
            | Q(followups=FollowupStatus.RUNNING, followups_at__lt=stale)
        )
        .update(followups=FollowupStatus.RUNNING, followups_at=now)
    )
    if not claimed:
        logger.info("follow-ups of scoring run %s: nothing to do", run_id)
        return False
    run = ScoreRun.objects.get(pk=run_id)
    phases: list[dict[str, Any]] = []
    failed: list[str] = []
    for receiver, result, wall, cpu in run_followups.send_timed(
        sender=ScoreRun, run=run, progress=_beating(run_id, progress)
    ):
        name = run_followups.step_name(receiver) or _receiver_name(receiver)
        phases.append(
            {
                "step": name,
                "wall_seconds": round(wall, 2),
                "cpu_seconds": round(cpu, 2),
                "followup": True,
            }
        )
        logger.info(
            "scoring run %s: follow-up %s took %.2f s (%.2f s CPU)",
            run.as_of,
            name,
            wall,
            cpu,
        )
        if isinstance(result, Exception):
            failed.append(name)
    return _record(run_id, phases, failed)


# The task lives here, not in tasks.py (which re-exports it): tasks.py imports
# the run, and the run queues this task (no import cycle inside the app).
@db_task()  # type: ignore[untyped-decorator]
def run_followups_task(run_id: int) -> None:
    """A finished run's follow-up chain: automatic tags → segment counts →
    warnings (safe to run twice: a second task for the run does nothing)."""
    followups_run(run_id=run_id)


def _record(run_id: int, phases: list[dict[str, Any]], failed: list[str]) -> bool:
    """The chain's times and outcome on the run, if the chain still holds it
    (a new run of the date resets the claim: its own chain will record)."""
    with transaction.atomic():
        run = (
            ScoreRun.objects.select_for_update()
            .filter(pk=run_id, followups=FollowupStatus.RUNNING)
            .first()
        )
        if run is None:
            logger.warning("follow-ups of scoring run %s: claim lost", run_id)
            return False
        summary = dict(run.summary or {})
        summary["phases"] = [
            *(p for p in summary.get("phases", []) if not p.get("followup")),
            *phases,
        ]
        run.summary = summary
        run.followups = FollowupStatus.FAILED if failed else FollowupStatus.DONE
        run.followups_at = timezone.now()
        run.step = "done"
        if failed:
            logger.error(
                "scoring run %s: follow-up steps failed: %s", run.as_of, failed
            )
            message = _(
                "Scores were written; these follow-up steps failed: %(steps)s"
            ) % {"steps": ", ".join(failed)}
            run.message = f"{run.message} {message}".strip()
        run.save(
            update_fields=["summary", "followups", "followups_at", "step", "message"]
        )
    return True


def _beating(run_id: int, progress: Progress | None) -> Progress:
    """The progress the steps report: passed on, and every few seconds the
    chain's sign of life and current step on the run (for the run's page)."""
    last = [0.0]

    def report(step: str, share: float) -> None:
        if progress is not None:
            progress(step, share)
        now = time.monotonic()
        if now - last[0] >= BEAT_SECONDS or share == 0.0:
            last[0] = now
            ScoreRun.objects.filter(pk=run_id, followups=FollowupStatus.RUNNING).update(
                step=step[:32], followups_at=timezone.now()
            )

    return report


def _receiver_name(receiver: Any) -> str:
    return f"{getattr(receiver, '__module__', '?')}.{getattr(receiver, '__qualname__', '?')}"
