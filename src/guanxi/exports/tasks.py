"""Background work for exports: thin entry points into ``exports.background``."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanxi.exports.background import export_build, exports_purge


@db_task()  # type: ignore[untyped-decorator]
def export_build_task(record_id: int) -> None:
    """Build a queued export's file; safe to run twice (claimed once)."""
    export_build(record_id=record_id)


@db_periodic_task(crontab(hour="3", minute="41"))  # type: ignore[untyped-decorator]
def exports_purge_task() -> None:
    """Delete export files older than GUANXI_EXPORT_KEEP_DAYS days."""
    exports_purge()
