"""Background needs work: the nightly mining (idempotent: a run replaces the
figures of the one before; statuses and synonyms stay)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.needs.services import needs_mine


@db_periodic_task(crontab(minute="30", hour="2"))  # type: ignore[untyped-decorator]
def needs_mine_nightly_task() -> None:
    """Mine every text into the needs list."""
    needs_mine()
