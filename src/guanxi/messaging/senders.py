"""The sender of each channel, made from the settings when it is needed."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.messaging.channels.base import Sender
from guanxi.messaging.channels.email import EmailSender
from guanxi.messaging.channels.phone import PhoneSender
from guanxi.messaging.channels.webhook import WebhookSender
from guanxi.messaging.choices import MessageChannel


def sender_for(channel: str) -> Sender:
    """The channel's sender. Raises ``ValidationFailed`` when it cannot send
    (not set up, or not built yet)."""
    if channel == MessageChannel.EMAIL:
        if not settings.GUANXI_EMAIL_URL:
            raise ValidationFailed(_("E-mail is not set up: set GUANXI_EMAIL_URL."))
        return EmailSender(
            url=settings.GUANXI_EMAIL_URL, from_address=settings.GUANXI_EMAIL_FROM
        )
    if channel == MessageChannel.WEBHOOK:
        if not settings.GUANXI_WEBHOOK_URL or not settings.GUANXI_WEBHOOK_SECRET:
            raise ValidationFailed(
                _(
                    "The webhook is not set up: set GUANXI_WEBHOOK_URL and GUANXI_WEBHOOK_SECRET."
                )
            )
        return WebhookSender(
            url=settings.GUANXI_WEBHOOK_URL,
            secret=settings.GUANXI_WEBHOOK_SECRET,
            allow_loopback_http=bool(settings.GUANXI_WEBHOOK_LOOPBACK_HTTP),
        )
    if channel == MessageChannel.PHONE:
        return PhoneSender()
    raise ValidationFailed(
        _("The %(channel)s channel is not available yet.") % {"channel": channel}
    )
