"""Background delivery: thin entry points into :mod:`guanxi.messaging.delivery`."""

from __future__ import annotations

import logging

from django.db import OperationalError
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanxi.messaging.delivery import messages_dispatch

logger = logging.getLogger(__name__)

#: Dispatch tasks queued after a send: one per worker thread of ``guanxi worker``.
PARALLEL = 2


@db_task()  # type: ignore[untyped-decorator]
def messages_dispatch_task() -> None:
    """Send due messages until none is due; safe to run twice at once (each
    message is claimed by one worker)."""
    _dispatch_unless_busy()


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def messages_dispatch_periodic_task() -> None:
    """Every minute: retries that came due, quiet hours that ended, and
    messages whose worker died (their lease lapsed)."""
    _dispatch_unless_busy()


def _dispatch_unless_busy() -> None:
    """Dispatch; when the embedded SQLite stays locked past its timeout (a
    long import or scoring run is writing), wait for the next minute's sweep
    instead of failing the task: a message claimed before stays leased and is
    claimed again when its lease lapses."""
    try:
        messages_dispatch()
    except OperationalError as error:
        if "database is locked" not in str(error):
            raise
        logger.warning(
            "messages: the database is busy (another process is writing); "
            "the next minute's sweep sends what is due"
        )


def messages_dispatch_soon() -> None:
    for _ in range(PARALLEL):
        messages_dispatch_task()
