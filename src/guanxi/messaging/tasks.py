"""Background delivery: thin entry points into :mod:`guanxi.messaging.delivery`."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import InterfaceError, OperationalError, connection
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanxi.audit.choices import AuditAction
from guanxi.messaging.alerts import alert_mail_send
from guanxi.messaging.delivery import messages_dispatch
from guanxi.messaging.staffmail import StaffMailer

logger = logging.getLogger(__name__)

#: Dispatch tasks queued after a send: one per worker thread of ``guanxi worker``.
PARALLEL = 2


def alert_mail_after(
    sender: Any, *, action: str, actor_id: Any, details: dict[str, Any], **kwargs: Any
) -> None:
    """Receiver of ``audit.services.alert_raised``: queue the e-mail to the
    administrators (a search must not wait for an SMTP server)."""
    if action == AuditAction.SEARCH_ALERT and StaffMailer.configured():
        alert_mail_task(action, actor_id, dict(details))


@db_task()  # type: ignore[untyped-decorator]
def alert_mail_task(action: str, actor_id: Any, details: dict[str, Any]) -> None:
    """E-mail an audit alert to the administrators (counts only)."""
    alert_mail_send(action=action, actor_id=actor_id, details=details)


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


#: Waits before claiming again after the database connection dropped (a
#: PostgreSQL restart or failover takes seconds); then the minute's sweep.
RECONNECT_WAITS = (0.5, 1.0, 2.0, 4.0, 8.0)


def _dispatch_unless_busy() -> None:
    """Dispatch; when the embedded SQLite stays locked past its timeout (a
    long import or scoring run is writing), wait for the next minute's sweep
    instead of failing the task: a message claimed before stays leased and is
    claimed again when its lease lapses.

    When the connection to the database drops (PostgreSQL restarted), the
    connection is closed and the dispatch starts again on a new one after a
    short wait: the rest of the outbox goes on at once instead of at the next
    minute's sweep. The message in flight was sent but not recorded; it stays
    leased and is sent again when its lease lapses (at most one per thread).
    """
    for wait in (*RECONNECT_WAITS, None):
        try:
            messages_dispatch()
            return
        except OperationalError as error:
            if "database is locked" in str(error):
                logger.warning(
                    "messages: the database is busy (another process is "
                    "writing); the next minute's sweep sends what is due"
                )
                return
            if wait is None:
                raise
            logger.warning(
                "messages: lost the database connection (%s); claiming again in %.1f s",
                type(error).__name__,
                wait,
            )
        except InterfaceError as error:
            if wait is None:
                raise
            logger.warning(
                "messages: the database connection is closed (%s); claiming "
                "again in %.1f s",
                type(error).__name__,
                wait,
            )
        connection.close()
        time.sleep(wait)


def messages_dispatch_soon() -> None:
    for _ in range(PARALLEL):
        messages_dispatch_task()
