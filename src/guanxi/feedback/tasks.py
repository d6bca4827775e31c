"""Background feedback work: the SLA escalation (every ten minutes,
idempotent: each step is recorded on the ticket and runs once)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.feedback.services import tickets_escalate


@db_periodic_task(crontab(minute="*/10"))  # type: ignore[untyped-decorator]
def escalation_periodic_task() -> None:
    """Warn owners and leads, queue progress notices, record breaches."""
    tickets_escalate()
