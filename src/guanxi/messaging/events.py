"""Events on sent messages: the one write path of ``MessageEvent``.

Every kind is recorded at most once per message (a unique constraint), so a
receipt pushed twice, a pixel loaded twice or a link clicked twice records
one event; the first one's time and code are kept."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from guanxi.messaging.models import MessageEvent

__all__ = ["message_event_record"]


def message_event_record(
    *,
    message_id: int,
    kind: str,
    occurred_at: dt.datetime,
    code: str = "",
    now: dt.datetime | None = None,
) -> bool:
    """Record ``kind`` on the message unless it is recorded already; whether
    it was new."""
    with transaction.atomic():
        _event, created = MessageEvent.objects.get_or_create(
            message_id=message_id,
            kind=kind,
            defaults={
                "code": code[:64],
                "occurred_at": occurred_at,
                "recorded_at": now or timezone.now(),
            },
        )
    return created
