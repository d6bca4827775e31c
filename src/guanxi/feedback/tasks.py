"""Background feedback work: the SLA escalation (every ten minutes,
idempotent: each step is recorded on the ticket and runs once) and the
daily sweep of attachment files left without their row."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.feedback.services import attachment_orphans_sweep, tickets_escalate


@db_periodic_task(crontab(minute="*/10"))  # type: ignore[untyped-decorator]
def escalation_periodic_task() -> None:
    """Warn owners and leads, queue progress notices, record breaches."""
    tickets_escalate()


@db_periodic_task(crontab(hour="4", minute="20"))  # type: ignore[untyped-decorator]
def attachment_orphans_sweep_task() -> None:
    """Remove attachment files without a row (safe to run twice: none left)."""
    attachment_orphans_sweep(dry_run=False, via="task")
