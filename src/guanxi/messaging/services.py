"""Writes of messaging: the consent ledger and sending to an audience."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.messaging.audiences import Audience, audience_customers
from guanxi.messaging.choices import MessageChannel, Purpose
from guanxi.messaging.consent import consent_record, consent_unsubscribe
from guanxi.messaging.delivery import messages_dispatch
from guanxi.messaging.mail_events import mail_events_record
from guanxi.messaging.models import LedgerRefused, Template
from guanxi.messaging.outbox import QueueCount
from guanxi.messaging.queueing import broadcast_dry_run, broadcast_queue
from guanxi.messaging.receipts import sms_receipts_record
from guanxi.messaging.rendering import MessageTemplate, template_parse
from guanxi.messaging.senders import channel_template_check, sender_for
from guanxi.messaging.staffmail import StaffMailer
from guanxi.messaging.stored import (
    template_delete,
    template_language,
    template_save,
    template_version,
)
from guanxi.messaging.tasks import messages_dispatch_soon
from guanxi.messaging.tracking import click_follow, open_record

__all__ = [
    "LedgerRefused",
    "StaffMailer",
    "broadcast_preview",
    "broadcast_send",
    "broadcast_send_stored",
    "click_follow",
    "consent_record",
    "consent_unsubscribe",
    "mail_events_record",
    "messages_dispatch",
    "messages_dispatch_soon",
    "open_record",
    "sms_receipts_record",
    "template_delete",
    "template_save",
]


def _broadcast_checked(
    *, channel: str, purpose: str, template: MessageTemplate, audience: str
) -> Audience:
    """The audience of a send whose channel, purpose and template are good;
    ``ValidationFailed`` for the first that is not."""
    if channel not in MessageChannel.values:
        raise ValidationFailed(_("Unknown channel: %(value)r.") % {"value": channel})
    if purpose not in {Purpose.SERVICE, Purpose.MARKETING}:
        raise ValidationFailed(
            _("The purpose is service or marketing, not %(value)r.")
            % {"value": purpose}
        )
    sender_for(channel).close()  # set up? (raises when not)
    channel_template_check(channel=channel, purpose=purpose, template=template)
    return audience_customers(audience)


def _broadcast_queue(
    *,
    channel: str,
    purpose: str,
    template: MessageTemplate,
    audience: str,
    actor: Any,
    limit: int | None = None,
) -> QueueCount:
    who = _broadcast_checked(
        channel=channel, purpose=purpose, template=template, audience=audience
    )
    who = _within(who, limit)
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
    template = template_parse(
        template_text, needs_subject=channel == MessageChannel.EMAIL
    )
    return _broadcast_queue(
        channel=channel,
        purpose=purpose,
        template=template,
        audience=audience,
        actor=actor,
    )


def _within(who: Audience, limit: int | None) -> Audience:
    """``who``, unless it has more than ``limit`` customers."""
    if limit is None:
        return who
    size = len(who.ids) if who.ids is not None else who.customers.count()
    if size > limit:
        raise ValidationFailed(
            _(
                "This audience has %(n)d customers, more than the %(max)d a page "
                "queues at once: send it with guanxi send --template-name."
            )
            % {"n": size, "max": limit},
            field="audience",
        )
    return who


def broadcast_send_stored(
    *, template: Template, audience: str, actor: Any = None, limit: int | None = None
) -> QueueCount:
    """:func:`broadcast_send` of a stored template, on its channel and for its
    purpose, in the language its customers get; refused when the audience has
    more than ``limit`` customers."""
    return _broadcast_queue(
        channel=template.channel,
        purpose=template.purpose,
        template=template_version(template, template_language(template)),
        audience=audience,
        actor=actor,
        limit=limit,
    )


def broadcast_preview(
    *, template: Template, audience: str, limit: int | None = None
) -> QueueCount:
    """What :func:`broadcast_send_stored` would queue and suppress (and why),
    after the same checks, writing nothing."""
    who = _broadcast_checked(
        channel=template.channel,
        purpose=template.purpose,
        template=template_version(template, template_language(template)),
        audience=audience,
    )
    who = _within(who, limit)
    return broadcast_dry_run(
        channel=template.channel,
        purpose=template.purpose,
        customers=who.customers,
        ids=who.ids,
    )
