"""Background delivery: thin entry points into :mod:`guanxi.messaging.delivery`."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanxi.messaging.delivery import messages_dispatch

#: Dispatch tasks queued after a send: one per worker thread of ``guanxi worker``.
PARALLEL = 2


@db_task()  # type: ignore[untyped-decorator]
def messages_dispatch_task() -> None:
    """Send due messages until none is due; safe to run twice at once (each
    message is claimed by one worker)."""
    messages_dispatch()


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def messages_dispatch_periodic_task() -> None:
    """Every minute: retries that came due, quiet hours that ended, and
    messages whose worker died (their lease lapsed)."""
    messages_dispatch()


def messages_dispatch_soon() -> None:
    for _ in range(PARALLEL):
        messages_dispatch_task()
