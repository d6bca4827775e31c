"""Background work for privacy: the nightly retention purge (a thin entry point)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.privacy.retention import retention_purge


@db_periodic_task(crontab(hour="3", minute="50"))  # type: ignore[untyped-decorator]
def retention_purge_task() -> None:
    """Purge what is past its retention (safe to run twice: nothing left)."""
    retention_purge(dry_run=False)
