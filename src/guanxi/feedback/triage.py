"""The e-mail triage's rows as personal data: e-mails from unknown senders
hold an address and a text but belong to no customer, so retention purges
them by age and a data-subject request finds them by the person's e-mail
address (``guanxi.privacy``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from guanxi.feedback.models import InboundMail

__all__ = [
    "TRIAGE_EXPORT_FIELDS",
    "inbound_triage_delete",
    "inbound_triage_for_email",
    "inbound_triage_purge",
]

#: What a data-subject export shows of a triage row.
TRIAGE_EXPORT_FIELDS = (
    "id",
    "received_at",
    "outcome",
    "ticket_id",
    "sender",
    "subject",
    "text",
)
_BATCH = 500


def _triage() -> Any:
    return InboundMail.objects.filter(outcome=InboundMail.Outcome.TRIAGE)


def inbound_triage_for_email(*, email: str | None) -> list[dict[str, Any]]:
    """The triage rows sent from ``email`` (case aside), oldest first, with
    :data:`TRIAGE_EXPORT_FIELDS`. The sender is encrypted with no index: the
    rows are read in batches and compared here; retention keeps them few
    (``GUANXI_RETENTION_INBOUND_MAIL_DAYS``)."""
    wanted = (email or "").strip().lower()
    if not wanted:
        return []
    return [
        row
        for row in _triage()
        .exclude(sender="")
        .order_by("pk")
        .values(*TRIAGE_EXPORT_FIELDS)
        .iterator(chunk_size=_BATCH)
        if str(row["sender"] or "").strip().lower() == wanted
    ]


@transaction.atomic
def inbound_triage_delete(*, ids: list[int]) -> int:
    """Delete these triage rows (an erasure); how many went."""
    deleted = 0
    for start in range(0, len(ids), _BATCH):
        deleted += _triage().filter(pk__in=ids[start : start + _BATCH]).delete()[0]
    return deleted


def inbound_triage_purge(*, before: dt.datetime, dry_run: bool) -> int:
    """Triage rows received before ``before``: counted, or deleted."""
    old = _triage().filter(received_at__lt=before)
    if dry_run:
        return int(old.count())
    return int(old.delete()[0])
