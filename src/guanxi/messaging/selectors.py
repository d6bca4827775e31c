"""Reads of messaging: current consent (derived from the ledger), the outbox
(scoped like the customers: a message is in scope exactly when its customer
is), its counts, a customer's messages for their timeline, and what came of
each broadcast (sent, delivered, opened, clicked, converted)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for, scope_for
from guanxi.commerce.selectors import purchase_rows
from guanxi.core.errors import NotFound
from guanxi.customers.selectors import customer_scope, customer_search
from guanxi.messaging.choices import (
    ConsentSource,
    MessageChannel,
    MessageStatus,
    Purpose,
)
from guanxi.messaging.models import (
    Broadcast,
    ConsentRecord,
    Message,
    MessageEvent,
    Template,
)


def consent_latest(*, purpose: str, channel: str, customer: Any = None) -> Subquery:
    """The newest record's ``granted`` for ``purpose`` × ``channel`` of the
    customer at ``OuterRef(customer)`` (default: the outer row's pk): true,
    false, or NULL when the ledger has nothing."""
    ref = customer if customer is not None else OuterRef("pk")
    newest = (
        ConsentRecord.objects.filter(customer_id=ref, purpose=purpose, channel=channel)
        .order_by("-recorded_at", "-id")
        .values("granted")[:1]
    )
    return Subquery(newest)


def consent_current(*, customer_id: int, purpose: str, channel: str) -> bool:
    """Whether the customer's newest statement for ``purpose`` on ``channel``
    grants it (no statement: not granted)."""
    newest = (
        ConsentRecord.objects.filter(
            customer_id=customer_id, purpose=purpose, channel=channel
        )
        .order_by("-recorded_at", "-id")
        .values_list("granted", flat=True)
        .first()
    )
    return bool(newest)


def guardian_consent_current(*, customer_id: int, purpose: str, channel: str) -> bool:
    """Whether the customer's newest statement for ``purpose`` on ``channel``
    grants it and was given by their guardian (what a minor needs)."""
    newest = (
        ConsentRecord.objects.filter(
            customer_id=customer_id, purpose=purpose, channel=channel
        )
        .order_by("-recorded_at", "-id")
        .values_list("granted", "source")
        .first()
    )
    return newest is not None and newest == (True, ConsentSource.GUARDIAN)


def guardian_profiling_consented(customer_ids: Iterable[int]) -> set[int]:
    """Those of ``customer_ids`` whose newest statement about profiling (on
    any channel) grants it and was given by their guardian: the minors who
    may be scored. A few queries of 500 customers each."""
    ids = sorted(set(customer_ids))
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        newest: dict[int, tuple[bool, str]] = {}
        rows = (
            ConsentRecord.objects.filter(
                customer_id__in=ids[start : start + 500], purpose=Purpose.PROFILING
            )
            .order_by("customer_id", "-recorded_at", "-id")
            .values_list("customer_id", "granted", "source")
        )
        for customer_id, granted, source in rows:
            newest.setdefault(customer_id, (granted, source))
        found.update(
            pk
            for pk, statement in newest.items()
            if statement == (True, ConsentSource.GUARDIAN)
        )
    return found


def consent_history(*, customer_id: int) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(customer_id=customer_id).order_by(
        "-recorded_at", "-id"
    )


def message_status_counts(qs: QuerySet[Message] | None = None) -> dict[str, int]:
    """Messages (of ``qs``, default all) by status, every status named (zero
    when none)."""
    counts = {status.value: 0 for status in MessageStatus}
    base = Message.objects.all() if qs is None else qs
    rows = base.order_by().values("status").annotate(n=Count("id"))
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def template_names(*, actor: Any) -> list[str]:
    """The names of the stored templates ``actor`` may use, sorted."""
    from guanxi.messaging.stored import template_list

    return list(template_list(actor=actor).values_list("name", flat=True))


def template_by_name(name: str) -> Template | None:
    """The stored template named ``name`` (the command line: every template)."""
    return Template.objects.filter(name=name.strip()).first()


def message_scope(*, actor: Any) -> QuerySet[Message]:
    """Every message to a customer ``actor`` may see; nothing for users
    without a role. Every read of the outbox for a person starts here."""
    return scope_for(actor).apply(Message.objects.all(), via="customer")


def message_list(*, actor: Any) -> QuerySet[Message]:
    """The outbox in ``actor``'s scope, newest first (by id: the messages of
    one broadcast share their ``created_at``). Filters: ``MessageFilterSet``."""
    return message_scope(actor=actor).order_by("-id")


def message_get(*, actor: Any, pk: int | str) -> Message:
    """One message in scope with its customer and broadcast; outside scope
    answered exactly like a missing one."""
    try:
        return (
            message_scope(actor=actor)
            .select_related("customer", "broadcast")
            .get(pk=int(pk))
        )
    except (Message.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("message not found")) from None


def message_events(*, message_id: int) -> QuerySet[MessageEvent]:
    """What happened to a message after it was sent, in order (the caller
    checked scope with :func:`message_get`)."""
    return MessageEvent.objects.filter(message_id=message_id).order_by(
        "occurred_at", "id"
    )


def message_filter_customer(
    qs: QuerySet[Message], customer_id: int, *, actor: Any
) -> QuerySet[Message]:
    """The messages of one customer addressed by number; nothing for roles
    that know customers by pseudonym only (the lookup would link the two)."""
    if not policy_for(actor).knows_customer_numbers:
        return qs.none()
    return qs.filter(customer_id=customer_id)


def message_filter_people(
    qs: QuerySet[Message], text: str, *, actor: Any
) -> QuerySet[Message]:
    """The messages of the customers staff search finds for ``text`` (name,
    pinyin, phone or its last four digits, e-mail, number: through the
    hashed keys); nothing for roles that may not search people."""
    if not text.strip():
        return qs
    found = customer_search(customer_scope(actor=actor), text, actor=actor)
    return qs.filter(customer_id__in=found.values("pk"))


@dataclass(frozen=True)
class MessageLogEntry:
    """A line of a customer's timeline about a message: the message itself
    (queued, sent, failed or suppressed) or what its channel reported later."""

    at: dt.datetime
    message: Message
    event: MessageEvent | None = None


def customer_message_log(
    *, actor: Any, customer_id: int, limit: int
) -> list[MessageLogEntry]:
    """The newest ``limit`` messages of a customer and the newest ``limit``
    events of their messages, newest first (at most ``2 × limit`` entries;
    two indexed queries). A message stands at its sending time, or when it
    was queued until then; nothing outside ``actor``'s scope."""
    messages = message_scope(actor=actor).filter(customer_id=customer_id)
    entries = [
        MessageLogEntry(at=m.sent_at or m.created_at, message=m)
        for m in messages.select_related("broadcast").order_by("-id")[:limit]
    ]
    events = (
        MessageEvent.objects.filter(message__in=messages.values("pk"))
        .select_related("message")
        .order_by("-occurred_at", "-id")[:limit]
    )
    entries += [
        MessageLogEntry(at=e.occurred_at, message=e.message, event=e) for e in events
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


@dataclass(frozen=True)
class BroadcastFigures:
    """What came of a broadcast's messages, each counted once per message.

    ``sent``: messages sent. ``delivered``: sent and not reported lost — for
    SMS a delivery receipt said delivered; for the other channels, which
    have no receipts, no bounce or non-delivery was reported. ``opened``,
    ``clicked``: messages with a recorded open or click (tracked e-mail only).
    ``converted``: sent messages whose customer placed an order (a purchase:
    not cancelled or refunded) within ``GUANXI_CONVERSION_DAYS`` days after
    the message was sent, ``[sent, sent + N days)``; an order may convert
    several messages. ``conversion_rate`` = converted / sent (None when
    nothing was sent)."""

    broadcast_id: int
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    converted: int = 0

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.sent if self.sent else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "broadcast": self.broadcast_id,
            "sent": self.sent,
            "delivered": self.delivered,
            "opened": self.opened,
            "clicked": self.clicked,
            "converted": self.converted,
            "conversion_rate": self.conversion_rate,
        }


def _has_event(kind: str) -> Exists:
    return Exists(MessageEvent.objects.filter(message_id=OuterRef("pk"), kind=kind))


def _sent_delivered() -> tuple[Q, Q]:
    """Sent, and delivered as :class:`BroadcastFigures` counts it."""
    sent = Q(status=MessageStatus.SENT)
    kind = MessageEvent.Kind
    delivered = sent & (
        Q(_has_event(kind.DELIVERED))
        | (
            ~Q(channel=MessageChannel.SMS)
            & ~Q(_has_event(kind.BOUNCED))
            & ~Q(_has_event(kind.UNDELIVERED))
        )
    )
    return sent, delivered


def audience_figures(
    *, audience_prefix: str, customers: QuerySet[Any], since: dt.datetime
) -> dict[str, dict[str, int]]:
    """Per broadcast audience starting with ``audience_prefix`` (a journey's
    steps queue under ``journey <slug> · <step>``): of the messages to
    ``customers`` created from ``since``, how many were sent, delivered,
    opened, clicked and unsubscribed, counted as :class:`BroadcastFigures`
    counts them. One grouped query."""
    sent, delivered = _sent_delivered()
    kind = MessageEvent.Kind
    rows = (
        Message.objects.filter(
            broadcast__audience__startswith=audience_prefix,
            customer_id__in=customers.values("pk"),
            created_at__gte=since,
        )
        .order_by()
        .values("broadcast__audience")
        .annotate(
            sent=Count("pk", filter=sent),
            delivered=Count("pk", filter=delivered),
            opened=Count("pk", filter=sent & Q(_has_event(kind.OPENED))),
            clicked=Count("pk", filter=sent & Q(_has_event(kind.CLICKED))),
            unsubscribed=Count("pk", filter=Q(_has_event(kind.UNSUBSCRIBED))),
        )
    )
    return {
        str(row["broadcast__audience"]): {
            "sent": int(row["sent"]),
            "delivered": int(row["delivered"]),
            "opened": int(row["opened"]),
            "clicked": int(row["clicked"]),
            "unsubscribed": int(row["unsubscribed"]),
        }
        for row in rows
    }


def broadcast_figures_many(
    broadcast_ids: Iterable[int], *, days: int | None = None
) -> dict[int, BroadcastFigures]:
    """:class:`BroadcastFigures` of each broadcast (zeros for one without
    messages), counted in the database: one grouped query per 500
    broadcasts, orders read through ``commerce.selectors.purchase_rows``."""
    ids = sorted({int(i) for i in broadcast_ids})
    window = dt.timedelta(
        days=int(settings.GUANXI_CONVERSION_DAYS if days is None else days)
    )
    ordered = purchase_rows().filter(
        customer_id=OuterRef("customer_id"),
        ordered_at__gte=OuterRef("sent_at"),
        ordered_at__lt=ExpressionWrapper(
            OuterRef("sent_at") + window, output_field=DateTimeField()
        ),
    )
    sent, delivered = _sent_delivered()
    kind = MessageEvent.Kind
    figures = {i: BroadcastFigures(broadcast_id=i) for i in ids}
    for start in range(0, len(ids), 500):
        rows = (
            Message.objects.filter(broadcast_id__in=ids[start : start + 500])
            .order_by()
            .values("broadcast_id")
            .annotate(
                sent=Count("pk", filter=sent),
                delivered=Count("pk", filter=delivered),
                opened=Count("pk", filter=sent & Q(_has_event(kind.OPENED))),
                clicked=Count("pk", filter=sent & Q(_has_event(kind.CLICKED))),
                converted=Count("pk", filter=sent & Q(Exists(ordered))),
            )
        )
        for row in rows:
            figures[row["broadcast_id"]] = BroadcastFigures(**row)
    return figures


def broadcast_figures(
    broadcast_id: int, *, days: int | None = None
) -> BroadcastFigures:
    """:class:`BroadcastFigures` of one broadcast."""
    return broadcast_figures_many([broadcast_id], days=days)[int(broadcast_id)]


def broadcast_recent(*, limit: int = 20) -> QuerySet[Broadcast]:
    """The newest broadcasts, newest first."""
    return Broadcast.objects.order_by("-id")[:limit]
