"""Writes of messaging: the consent ledger and sending to an audience."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.messaging.audiences import audience_customers
from guanxi.messaging.choices import MessageChannel, Purpose
from guanxi.messaging.consent import consent_record, consent_unsubscribe
from guanxi.messaging.delivery import messages_dispatch
from guanxi.messaging.models import LedgerRefused
from guanxi.messaging.outbox import QueueCount
from guanxi.messaging.queueing import broadcast_queue
from guanxi.messaging.receipts import sms_receipts_record
from guanxi.messaging.rendering import template_parse
from guanxi.messaging.senders import channel_template_check, sender_for
from guanxi.messaging.staffmail import StaffMailer
from guanxi.messaging.tasks import messages_dispatch_soon

__all__ = [
    "LedgerRefused",
    "StaffMailer",
    "broadcast_send",
    "consent_record",
    "consent_unsubscribe",
    "messages_dispatch",
    "messages_dispatch_soon",
    "sms_receipts_record",
]


def broadcast_send(
    *,
    channel: str,
    purpose: str,
    template_text: str,
    audience: str,
    actor: Any = None,
) -> QueueCount:
    """Queue one message per customer of ``audience`` and have the workers
    send them. Checks the channel, the template and the audience first:
    nothing is queued when any is wrong (``ValidationFailed``)."""
    if channel not in MessageChannel.values:
        raise ValidationFailed(_("Unknown channel: %(value)r.") % {"value": channel})
    if purpose not in {Purpose.SERVICE, Purpose.MARKETING}:
        raise ValidationFailed(
            _("The purpose is service or marketing, not %(value)r.")
            % {"value": purpose}
        )
    sender_for(channel).close()  # set up? (raises when not)
    template = template_parse(
        template_text, needs_subject=channel == MessageChannel.EMAIL
    )
    channel_template_check(channel=channel, purpose=purpose, template=template)
    who = audience_customers(audience)
    with transaction.atomic():
        _broadcast, count = broadcast_queue(
            channel=channel,
            purpose=purpose,
            template=template,
            customers=who.customers,
            ids=who.ids,
            audience=audience,
            actor=actor,
        )
        if count.queued:
            transaction.on_commit(messages_dispatch_soon)
    return count
