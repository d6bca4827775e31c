"""Background care work: the recurring checklist tasks and the daily digest
e-mail (both every hour, both idempotent)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.care.checklist import checklist_create


@db_periodic_task(crontab(minute="5"))  # type: ignore[untyped-decorator]
def checklist_periodic_task() -> None:
    """Every hour: the current period's checklist tasks (a no-op once made)."""
    checklist_create(today=timezone.localdate())
