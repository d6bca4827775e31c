"""Bounces and spam complaints reported by the mail provider, recorded as
events on the e-mail they are about.

The provider (or a small relay of the business's) posts to
``/m/email/events/?token=<GUANXI_EMAIL_EVENTS_TOKEN>`` a JSON array of at most
1,000 events::

    [{"message_id": "<key@domain>", "type": "bounce", "permanent": true,
      "code": "5.1.1", "time": "2026-12-05T10:00:00+08:00"},
     {"key": "<idempotency key>", "type": "complaint"}]

An event names its message by the ``Message-ID`` Guanxi gave the mail
(``message_id``, with or without the angle brackets) or by the idempotency key
(``key``); ``permanent`` (default false), ``code`` (one word is kept, see
:func:`_code`) and ``time`` (ISO 8601, default now) are optional. A request with any malformed event is refused whole
(nothing recorded) with the event's number; events naming no e-mail Guanxi sent
are counted and dropped. A hard bounce (``permanent``) records ``bounced`` and
suppresses the customer's address; a soft one is counted and not recorded (the
provider is still trying). A complaint records ``complained`` and withdraws
the customer's marketing consent for e-mail (source ``complaint``). Each is
done once however often the event is pushed.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from guanxi.messaging.choices import (
    ConsentChannel,
    ConsentSource,
    MessageChannel,
    MessageStatus,
    Purpose,
)
from guanxi.messaging.consent import consent_record
from guanxi.messaging.events import message_event_record
from guanxi.messaging.models import Message, MessageEvent
from guanxi.messaging.outbox import address_suppress
from guanxi.messaging.selectors import consent_current

__all__ = [
    "MAX_EVENTS",
    "MailEvent",
    "MailEventsRefused",
    "mail_events_parse",
    "mail_events_record",
    "mail_events_token_ok",
]

MAX_BODY_BYTES = 1_000_000
MAX_EVENTS = 1000
KEY_MAX = 40
_CODE = re.compile(r"[A-Za-z0-9.:_-]{1,64}")
#: The notice version of a withdrawal by complaint (no notice was shown).
COMPLAINT_NOTICE = "complaint"
TYPES = {"bounce": MessageEvent.Kind.BOUNCED, "complaint": MessageEvent.Kind.COMPLAINED}


class MailEventsRefused(Exception):
    """A request refused whole; the message says why (for the provider)."""


@dataclass(frozen=True)
class MailEvent:
    key: str  # the message's idempotency key ("" when it cannot be one)
    kind: str  # MessageEvent.Kind.BOUNCED or COMPLAINED
    permanent: bool
    code: str
    occurred_at: dt.datetime


def mail_events_token_ok(token: str) -> bool:
    expected = str(settings.GUANXI_EMAIL_EVENTS_TOKEN or "")
    return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())


def _key(row: dict[str, Any], number: int) -> str:
    if isinstance(row.get("key"), str) and row["key"].strip():
        key = str(row["key"]).strip()
    elif isinstance(row.get("message_id"), str) and row["message_id"].strip():
        key = str(row["message_id"]).strip().strip("<>").partition("@")[0]
    else:
        raise MailEventsRefused(f"Event {number} names no message (message_id or key).")
    return key if len(key) <= KEY_MAX else ""


def _time(value: Any, number: int, now: dt.datetime) -> dt.datetime:
    if value is None:
        return now
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise MailEventsRefused(f"Event {number}: time must be ISO 8601.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _code(value: Any) -> str:
    """The provider's code as one word (``5.1.1``, ``550``,
    ``General.Suppressed``): its first word, kept only if it is made of
    letters, digits and ``.:_-`` — a diagnostic text may hold the address."""
    words = str(value if value is not None else "").split()
    word = words[0] if words else ""
    return word if _CODE.fullmatch(word) else ""


def mail_events_parse(*, body: bytes, now: dt.datetime) -> list[MailEvent]:
    """The events of a request's body. Raises :class:`MailEventsRefused`."""
    if len(body) > MAX_BODY_BYTES:
        raise MailEventsRefused("The body is larger than 1,000,000 bytes.")
    try:
        rows = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MailEventsRefused("The body is not JSON.") from None
    if not isinstance(rows, list):
        raise MailEventsRefused("The body must be a JSON array of events.")
    if len(rows) > MAX_EVENTS:
        raise MailEventsRefused("At most 1,000 events per request.")
    events = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise MailEventsRefused(f"Event {number} is not an object.")
        kind = TYPES.get(row.get("type"))  # type: ignore[arg-type]
        if kind is None:
            raise MailEventsRefused(
                f"Event {number}: type must be bounce or complaint."
            )
        permanent = row.get("permanent", False)
        if not isinstance(permanent, bool):
            raise MailEventsRefused(f"Event {number}: permanent must be true or false.")
        events.append(
            MailEvent(
                key=_key(row, number),
                kind=kind,
                permanent=permanent,
                code=_code(row.get("code")),
                occurred_at=_time(row.get("time"), number, now),
            )
        )
    return events


def mail_events_record(*, events: list[MailEvent], now: dt.datetime) -> dict[str, int]:
    """Record the events that name a sent e-mail, in one transaction; counts
    of ``recorded``, ``repeated`` (recorded before), ``soft`` (soft bounces,
    not recorded) and ``unknown``."""
    counts = {"recorded": 0, "repeated": 0, "soft": 0, "unknown": 0}
    keys = {event.key for event in events if event.key}
    with transaction.atomic():
        messages = {
            m.idempotency_key: m
            for m in Message.objects.select_related("customer").filter(
                channel=MessageChannel.EMAIL,
                status=MessageStatus.SENT,
                idempotency_key__in=keys,
            )
        }
        for event in events:
            message = messages.get(event.key)
            if message is None:
                counts["unknown"] += 1
                continue
            if event.kind == MessageEvent.Kind.BOUNCED and not event.permanent:
                counts["soft"] += 1
                continue
            created = message_event_record(
                message_id=message.pk,
                kind=event.kind,
                code=event.code,
                occurred_at=event.occurred_at,
                now=now,
            )
            if not created:
                counts["repeated"] += 1
                continue
            counts["recorded"] += 1
            customer = message.customer
            if event.kind == MessageEvent.Kind.BOUNCED:
                address_suppress(
                    channel=MessageChannel.EMAIL,
                    index=customer.email_index or "",
                    code=f"bounce {event.code}".strip(),
                )
            elif consent_current(
                customer_id=customer.pk,
                purpose=Purpose.MARKETING,
                channel=ConsentChannel.EMAIL,
            ):
                consent_record(
                    customer=customer,
                    purpose=Purpose.MARKETING,
                    channel=ConsentChannel.EMAIL,
                    granted=False,
                    source=ConsentSource.COMPLAINT,
                    notice_version=COMPLAINT_NOTICE,
                    evidence=f"message {message.pk}",
                    at=now,
                )
    return counts
