"""Writes to the consent ledger: one function, every way in (imports, API,
forms, staff, unsubscribe links) records through it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit.services import consent_recorded
from guanxi.core.errors import ValidationFailed
from guanxi.customers.selectors import customer_rows
from guanxi.messaging.choices import ConsentChannel, ConsentSource, Purpose
from guanxi.messaging.events import message_event_record
from guanxi.messaging.links import unsubscribe_read
from guanxi.messaging.models import ConsentRecord, Message, MessageEvent
from guanxi.messaging.selectors import consent_current

#: The notice version of a withdrawal by link (no notice is shown to withdraw).
UNSUBSCRIBE_NOTICE = "unsubscribe"
EVIDENCE_MAX = 200
NOTICE_MAX = 32


def _choice(value: Any, choices: Any, field: str, message: str) -> str:
    if value not in choices.values:
        raise ValidationFailed(message % {"value": value}, field=field)
    return str(value)


def consent_record(
    *,
    customer: Any,
    purpose: str,
    channel: str,
    granted: bool,
    source: str,
    notice_version: str,
    evidence: str = "",
    actor: Any = None,
    at: dt.datetime | None = None,
) -> ConsentRecord:
    """Append one statement of consent (granted or withdrawn) to the ledger."""
    purpose = _choice(purpose, Purpose, "purpose", _("Unknown purpose: %(value)r."))
    channel = _choice(
        channel, ConsentChannel, "channel", _("Unknown consent channel: %(value)r.")
    )
    source = _choice(source, ConsentSource, "source", _("Unknown source: %(value)r."))
    if not isinstance(granted, bool):
        raise ValidationFailed(_("Granted must be true or false."), field="granted")
    notice_version = str(notice_version or "").strip()
    if not notice_version:
        raise ValidationFailed(
            _("The notice version is required."), field="notice_version"
        )
    if len(notice_version) > NOTICE_MAX:
        raise ValidationFailed(
            _("The notice version is longer than %(n)d characters.")
            % {"n": NOTICE_MAX},
            field="notice_version",
        )
    evidence = str(evidence or "").strip()
    if len(evidence) > EVIDENCE_MAX:
        raise ValidationFailed(
            _("The evidence is longer than %(n)d characters.") % {"n": EVIDENCE_MAX},
            field="evidence",
        )
    with transaction.atomic():
        record = ConsentRecord.objects.create(
            customer=customer,
            purpose=purpose,
            channel=channel,
            granted=granted,
            source=source,
            notice_version=notice_version,
            evidence=evidence,
            recorded_by=actor if getattr(actor, "pk", None) else None,
            recorded_at=at or timezone.now(),
        )
        consent_recorded(consent=record, actor=actor)
        return record


def consent_unsubscribe(*, token: str, confirm: bool) -> ConsentChannel | None:
    """The channel of an unsubscribe token (None: not a valid token of a
    customer that exists). With ``confirm``, marketing on that channel is
    withdrawn at once (a new ledger record, unless it is withdrawn already)
    and the message the link came in (if the token names one) gets its
    ``unsubscribed`` event."""
    data = unsubscribe_read(token)
    if data is None or data.get("ch") not in ConsentChannel.values:
        return None
    customer = customer_rows().filter(pk=data["c"]).first()
    if customer is None:
        return None
    channel = ConsentChannel(data["ch"])
    if confirm:
        with transaction.atomic():
            if consent_current(
                customer_id=customer.pk, purpose=Purpose.MARKETING, channel=channel
            ):
                consent_record(
                    customer=customer,
                    purpose=Purpose.MARKETING,
                    channel=channel,
                    granted=False,
                    source=ConsentSource.UNSUBSCRIBE,
                    notice_version=UNSUBSCRIBE_NOTICE,
                    evidence="one-click link",
                )
            if isinstance(data.get("m"), int):
                _unsubscribed_event(message_id=data["m"], customer_id=customer.pk)
    return channel


def _unsubscribed_event(*, message_id: int, customer_id: int) -> None:
    """The ``unsubscribed`` event on the message the link came in (once)."""
    if Message.objects.filter(pk=message_id, customer_id=customer_id).exists():
        now = timezone.now()
        message_event_record(
            message_id=message_id,
            kind=MessageEvent.Kind.UNSUBSCRIBED,
            occurred_at=now,
            now=now,
        )
