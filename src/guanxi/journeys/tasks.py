"""Background journeys work: the scheduler every quarter of an hour (date
and schedule triggers, due waits; idempotent, safe to run twice)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.journeys.services import journeys_run

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/15"))  # type: ignore[untyped-decorator]
def journeys_periodic_task() -> None:
    """Every 15 minutes: what ``guanxi journeys run`` does for now."""
    counts = journeys_run()
    log.info("journeys: %s", counts.as_dict())
