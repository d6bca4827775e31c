"""A customer's messaging data erased (data-subject erasure, retention):
call tasks, messages with their events, and consent records; and the
retention purges of old messages and of tracking events.

The consent ledger is append-only; an erasure is the one delete it allows.
On PostgreSQL its trigger lets a DELETE through only while the transaction
has set ``guanxi.erasure`` (migration ``0008_privacy``); the setting is local
to the transaction and cleared again at once.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, models, transaction

from guanxi.messaging.choices import MessageStatus
from guanxi.messaging.models import CallTask, ConsentRecord, Message, MessageEvent

__all__ = [
    "customer_messaging_erase",
    "ledger_erasure",
    "messages_purge",
    "tracking_events_purge",
]


class ledger_erasure:
    """Inside: the PostgreSQL trigger lets this transaction delete consent
    records. Outside a transaction it refuses (the setting must stay local)."""

    def __enter__(self) -> None:
        if not connection.in_atomic_block:
            raise RuntimeError("a ledger erasure runs inside a transaction")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL guanxi.erasure = 'on'")

    def __exit__(self, *exc: object) -> None:
        if connection.vendor == "postgresql" and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL guanxi.erasure = 'off'")


def customer_messaging_erase(customer_id: int, tombstone_id: int = 0) -> int:
    """Delete the customer's call tasks, messages (and their events) and
    consent records; the number of rows deleted."""
    with transaction.atomic():
        messages = Message.objects.filter(customer_id=customer_id)
        deleted = CallTask.objects.filter(customer_id=customer_id).delete()[0]
        deleted += MessageEvent.objects.filter(message__in=messages).delete()[0]
        deleted += messages.delete()[0]
        with ledger_erasure():
            # The ledger's own queryset refuses deletes; a plain one does not.
            deleted += (
                models.QuerySet(ConsentRecord)
                .filter(customer_id=customer_id)
                .delete()[0]
            )
    return deleted


#: Rows per statement of a retention purge.
PURGE_CHUNK = 1000
#: The message events that are tracking (opens and clicks), not delivery.
TRACKING_KINDS = (MessageEvent.Kind.OPENED, MessageEvent.Kind.CLICKED)
#: Messages still on their way are never purged.
_SETTLED = (MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.SUPPRESSED)


def tracking_events_purge(*, before: dt.datetime, dry_run: bool) -> int:
    """Delete the opens and clicks recorded before ``before`` (retention)."""
    old = MessageEvent.objects.filter(kind__in=TRACKING_KINDS, occurred_at__lt=before)
    if dry_run:
        return old.count()
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(old.order_by("pk").values_list("pk", flat=True)[:PURGE_CHUNK])
            if not ids:
                return deleted
            deleted += MessageEvent.objects.filter(pk__in=ids).delete()[0]


def messages_purge(*, before: dt.datetime, dry_run: bool) -> int:
    """Delete the settled messages (sent, failed, suppressed) made before
    ``before``, with their events and call tasks (retention); the number of
    messages."""
    old = Message.objects.filter(created_at__lt=before, status__in=_SETTLED)
    if dry_run:
        return old.count()
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(old.order_by("pk").values_list("pk", flat=True)[:PURGE_CHUNK])
            if not ids:
                return deleted
            CallTask.objects.filter(message_id__in=ids).delete()
            MessageEvent.objects.filter(message_id__in=ids).delete()
            deleted += Message.objects.filter(pk__in=ids).delete()[0]
