"""Background journeys work: the scheduler every quarter of an hour (date
and schedule triggers, due waits; idempotent, safe to run twice), and what
orders set off (queued when they commit, and every minute what is left)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.journeys.pending import (
    journeys_pending_periodic_task,
    journeys_pending_task,
)
from guanxi.journeys.services import journeys_run

__all__ = [
    "journeys_pending_periodic_task",
    "journeys_pending_task",
    "journeys_periodic_task",
]

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/15"))  # type: ignore[untyped-decorator]
def journeys_periodic_task() -> None:
    """Every 15 minutes: what ``guanxi journeys run`` does for now."""
    counts = journeys_run()
    log.info("journeys: %s", counts.as_dict())
