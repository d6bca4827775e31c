"""Background scoring: the admin's button and the nightly run."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanxi.core.errors import DomainError
from guanxi.insights.followups import run_followups_task
from guanxi.insights.runs import run_scoring

__all__ = ["nightly_score_task", "run_followups_task", "score_task"]

logger = logging.getLogger(__name__)


@db_task()  # type: ignore[untyped-decorator]
def score_task(as_of: str, user_id: int | None = None) -> None:
    """Score every customer as of ``as_of`` (ISO date) for the user who asked."""
    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        run_scoring(as_of=dt.date.fromisoformat(as_of), actor=actor)
    except DomainError as error:
        # Refused (another run of the date is alive, no orders): the run page
        # shows the run's own state; the log says why, without personal data.
        logger.warning("scoring run as of %s refused: %s", as_of, error.message)


@db_periodic_task(crontab(minute="30"))  # type: ignore[untyped-decorator]
def nightly_score_task() -> None:
    """Every night at ``GUANXI_SCORE_HOUR`` (local time, default 2:30), score
    every customer as of yesterday, the last complete day, and its follow-ups
    (tags, segment counts, warnings, co-purchase pairs) in the same task:
    nobody waits for the nightly run, and the chain starts at once instead of
    behind whatever else is queued."""
    now = timezone.localtime()
    if now.hour != int(settings.GUANXI_SCORE_HOUR):
        return
    yesterday = now.date() - dt.timedelta(days=1)
    try:
        run_scoring(as_of=yesterday, queue_followups=False)
    except DomainError as error:
        logger.warning("nightly scoring as of %s skipped: %s", yesterday, error.message)
