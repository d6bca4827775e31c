"""Scoring runs: the one bridge between the database and ``guanxi.analytics``.

Other apps start runs and listen to them through here: :func:`score_run`
scores every customer as of a date (:mod:`guanxi.insights.runs`),
:func:`score_run_enqueue` hands it to the task worker (the admin's button),
:data:`run_finished` tells the apps that build on scores (figures, pairs)
that a run's snapshots are written; :data:`run_followups` is the run's
follow-up chain (tags → segment counts → warnings, :mod:`.followups`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.audit.services import settings_changed
from guanxi.core.errors import PermissionDenied
from guanxi.insights.models import InsightSettings, ScoreRun
from guanxi.insights.runs import Progress, RunBusy, check_as_of, run_scoring
from guanxi.insights.signals import run_finished, run_followups

__all__ = [
    "Progress",
    "RunBusy",
    "insight_settings_save",
    "run_finished",
    "run_followups",
    "score_run",
    "score_run_enqueue",
]


def score_run(
    *,
    as_of: dt.date | None = None,
    actor: Any = None,
    progress: Progress | None = None,
    queue_followups: bool = True,
) -> ScoreRun:
    """Score every customer as of the end of ``as_of`` (default: today);
    ``queue_followups``: see :func:`~guanxi.insights.runs.run_scoring`."""
    day = as_of if as_of is not None else timezone.localdate()
    return run_scoring(
        as_of=day, actor=actor, progress=progress, queue_followups=queue_followups
    )


def _require_admin(actor: Any) -> None:
    if not policy_for(actor).may_administer:
        raise PermissionDenied(_("Only administrators may do this."))


def score_run_enqueue(*, actor: Any, as_of: dt.date) -> None:
    """Start a run in the task worker (admins only; the date checked first)."""
    _require_admin(actor)
    check_as_of(as_of, today=timezone.localdate())
    from guanxi.insights.tasks import score_task

    score_task(as_of.isoformat(), actor.pk)


def insight_settings_save(*, actor: Any, values: dict[str, Any]) -> InsightSettings:
    """Save the business's cut points and rules (admins only; ``values``
    already validated by the settings form)."""
    _require_admin(actor)
    settings = InsightSettings.objects.filter(pk=1).first() or InsightSettings(pk=1)
    changed = [n for n, v in values.items() if getattr(settings, n, None) != v]
    for name, value in values.items():
        setattr(settings, name, value)
    settings.full_clean()
    with transaction.atomic():
        settings.save()
        settings_changed(actor=actor, settings="insights", fields=changed)
    return settings
