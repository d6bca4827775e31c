"""Reads of messaging: current consent (derived from the ledger), the outbox's
counts."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery

from guanxi.messaging.choices import MessageStatus
from guanxi.messaging.models import ConsentRecord, Message, Template


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


def consent_history(*, customer_id: int) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(customer_id=customer_id).order_by(
        "-recorded_at", "-id"
    )


def message_status_counts() -> dict[str, int]:
    """Messages by status, every status named (zero when none)."""
    counts = {status.value: 0 for status in MessageStatus}
    rows = Message.objects.order_by().values("status").annotate(n=Count("id"))
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def template_by_name(name: str) -> Template | None:
    """The stored template named ``name`` (the command line: every template)."""
    return Template.objects.filter(name=name.strip()).first()
