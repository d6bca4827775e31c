"""Queueing a broadcast: the cause (one ``Broadcast`` row) and one outbox row
per customer of the audience, in one transaction.

What is already certain is settled here, without decrypting anyone: marketing
without current consent on the channel, no address, an address suppressed
after a permanent failure. Those rows are kept as ``suppressed`` with their
reason; the rest are queued and checked again when they are sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from guanxi.customers.selectors import identity_external_id
from guanxi.messaging.choices import (
    ConsentChannel,
    MessageChannel,
    MessageStatus,
    Purpose,
    SuppressReason,
)
from guanxi.messaging.models import Broadcast, Message
from guanxi.messaging.outbox import QueueCount, idempotency_key, suppressed_indexes
from guanxi.messaging.rendering import MessageTemplate
from guanxi.messaging.rules import (
    WECOM_SOURCE,
    address_index_field,
    consent_channel,
    needs_address,
    wecom_index,
)
from guanxi.messaging.selectors import consent_latest

CHUNK = 5000
WECOM_ID = "wecom_id"


def _address_key(channel: str) -> str | None:
    """The row's key that holds the address: a blind-index column of the
    customer, or the WeCom id (a source identity); None: no address needed."""
    if channel == MessageChannel.WECOM and needs_address(channel):
        return WECOM_ID
    return address_index_field(channel)


def _rows(customers: QuerySet[Any], *, channel: str, purpose: str) -> QuerySet[Any]:
    fields = ["pk", "preferred_channel"]
    annotations: dict[str, Any] = {}
    key = _address_key(channel)
    if key == WECOM_ID:
        annotations[WECOM_ID] = identity_external_id(source=WECOM_SOURCE)
    elif key:
        fields.append(key)
    if purpose == Purpose.MARKETING:
        wanted = (
            ConsentChannel.values if channel == MessageChannel.WEBHOOK else [channel]
        )
        annotations.update(
            {
                f"consent_{c}": consent_latest(purpose=Purpose.MARKETING, channel=c)
                for c in wanted
            }
        )
    rows = customers.order_by("pk")
    if annotations:
        rows = rows.annotate(**annotations)
    return rows.values(*fields, *annotations)


def _index(row: dict[str, Any], index_field: str | None) -> str:
    """The row's address blind index ("" when it has none)."""
    if index_field == WECOM_ID:
        return wecom_index(str(row.get(WECOM_ID) or ""))
    return str(row.get(index_field) or "") if index_field else ""


def _reason(
    row: dict[str, Any],
    *,
    channel: str,
    purpose: str,
    index_field: str | None,
    suppressed: set[str],
) -> str:
    if index_field is not None:
        index = _index(row, index_field)
        if not index:
            return SuppressReason.NO_ADDRESS
        if index in suppressed:
            return SuppressReason.ADDRESS_SUPPRESSED
    if purpose == Purpose.MARKETING:
        needed = consent_channel(channel, row["preferred_channel"])
        if needed is None or not row.get(f"consent_{needed}"):
            return SuppressReason.NO_CONSENT
    return ""


def _settled(
    customers: QuerySet[Any],
    *,
    channel: str,
    purpose: str,
    ids: list[int] | None,
) -> Iterator[list[tuple[dict[str, Any], str]]]:
    """The audience in chunks, each customer's row with the reason it is
    suppressed ("" when it is queued): what queueing and its dry run share."""
    index_field = _address_key(channel)
    parts = (
        [customers]
        if ids is None
        else [
            customers.filter(pk__in=ids[i : i + CHUNK])
            for i in range(0, len(ids), CHUNK)
        ]
    )
    chunk: list[dict[str, Any]] = []

    def settle() -> list[tuple[dict[str, Any], str]]:
        suppressed = (
            suppressed_indexes(channel, (_index(r, index_field) for r in chunk))
            if index_field
            else set()
        )
        return [
            (
                row,
                _reason(
                    row,
                    channel=channel,
                    purpose=purpose,
                    index_field=index_field,
                    suppressed=suppressed,
                ),
            )
            for row in chunk
        ]

    for part in parts:
        for row in _rows(part, channel=channel, purpose=purpose).iterator(
            chunk_size=CHUNK
        ):
            chunk.append(row)
            if len(chunk) >= CHUNK:
                yield settle()
                chunk = []
    if chunk:
        yield settle()


def broadcast_dry_run(
    *,
    channel: str,
    purpose: str,
    customers: QuerySet[Any],
    ids: list[int] | None = None,
) -> QueueCount:
    """What :func:`broadcast_queue` would count, writing nothing: who would be
    queued and who suppressed, and why (the reasons settled when queueing;
    consent, caps and quiet hours are checked again when each is sent)."""
    count = QueueCount()
    for chunk in _settled(customers, channel=channel, purpose=purpose, ids=ids):
        for _row, reason in chunk:
            if reason:
                count.suppressed[reason] = count.suppressed.get(reason, 0) + 1
            else:
                count.queued += 1
    return count


def broadcast_queue(
    *,
    channel: str,
    purpose: str,
    template: MessageTemplate,
    customers: QuerySet[Any],
    audience: str,
    ids: list[int] | None = None,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> tuple[Broadcast, QueueCount]:
    """Write the broadcast and its messages; the counts by outcome.
    ``ids``: only these of ``customers`` (a list from a file, read in chunks)."""
    now = now or timezone.now()
    count = QueueCount()
    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            channel=channel,
            purpose=purpose,
            subject=template.subject,
            body=template.body,
            audience=audience[:200],
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        cause = str(broadcast)
        for chunk in _settled(customers, channel=channel, purpose=purpose, ids=ids):
            messages = []
            for row, reason in chunk:
                if reason:
                    count.suppressed[reason] = count.suppressed.get(reason, 0) + 1
                else:
                    count.queued += 1
                messages.append(
                    Message(
                        cause=cause,
                        broadcast=broadcast,
                        customer_id=row["pk"],
                        channel=channel,
                        purpose=purpose,
                        idempotency_key=idempotency_key(
                            cause=cause, customer_id=row["pk"], channel=channel
                        ),
                        status=MessageStatus.SUPPRESSED
                        if reason
                        else MessageStatus.QUEUED,
                        reason=reason,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
            Message.objects.bulk_create(messages, batch_size=1000)
    return broadcast, count
