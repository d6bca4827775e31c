"""Background care work: the recurring checklist tasks and the daily digest
e-mail (both every hour, both idempotent)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.care.checklist import checklist_create
from guanxi.care.digest import digests_due


@db_periodic_task(crontab(minute="5"))  # type: ignore[untyped-decorator]
def checklist_periodic_task() -> None:
    """Every hour: the current period's checklist tasks (a no-op once made)."""
    checklist_create(today=timezone.localdate())


@db_periodic_task(crontab(minute="0"))  # type: ignore[untyped-decorator]
def digest_periodic_task() -> None:
    """Every hour from ``GUANXI_CARE_DIGEST_HOUR`` on: the day's digest
    e-mails not sent yet (none when e-mail is not set up)."""
    digests_due()
