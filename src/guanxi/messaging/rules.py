"""What is checked before a message goes out (at queue time where it can be,
and again at send time, where it counts): consent for marketing, an address,
an address not suppressed, the weekly marketing cap and quiet hours. Service
messages need no marketing consent and ignore the cap and quiet hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from guanxi.core.crypto import blind_index
from guanxi.customers.selectors import customer_external_id
from guanxi.messaging.channel_settings import channel_setting
from guanxi.messaging.choices import (
    ConsentChannel,
    MessageChannel,
    MessageStatus,
    Purpose,
)
from guanxi.messaging.models import Message

CONSENT_CHANNELS = frozenset(ConsentChannel.values)


def consent_channel(channel: str, preferred: str) -> str | None:
    """The consent channel a message needs: its own; for a webhook (the
    business's system then reaches the customer) the customer's preferred
    channel, and none when there is no preferred channel."""
    if channel == MessageChannel.WEBHOOK:
        return preferred if preferred in CONSENT_CHANNELS else None
    return channel if channel in CONSENT_CHANNELS else None


#: The source whose identity holds a customer's WeCom ``external_userid``.
WECOM_SOURCE = "wecom"


def wecom_to_customers() -> bool:
    """Whether WeCom messages go to customers (the external-contact API) —
    not to a staff group's robot (``GUANXI_WECOM_MODE=robot``)."""
    return channel_setting("GUANXI_WECOM_MODE") != "robot"


def needs_address(channel: str) -> bool:
    """Whether a message on the channel needs an address of the customer's
    (a webhook and the WeCom robot go to the business's own people)."""
    if channel == MessageChannel.WEBHOOK:
        return False
    if channel == MessageChannel.WECOM:
        return wecom_to_customers()
    return True


def address_index_field(channel: str) -> str | None:
    """The customer's blind-index column of the channel's address (None: the
    channel needs no address of the customer's, or it is not a column:
    WeCom's is a source identity, :func:`wecom_index`)."""
    if channel == MessageChannel.EMAIL:
        return "email_index"
    if channel in {MessageChannel.SMS, MessageChannel.PHONE}:
        return "phone_index"
    return None


def wecom_index(external_id: str) -> str:
    """The blind index a WeCom ``external_userid`` is suppressed by."""
    return blind_index(external_id, context="wecom") if external_id else ""


def address_of(channel: str, customer: Any) -> tuple[str, str]:
    """(address, blind index) of the customer on the channel."""
    if channel == MessageChannel.WECOM and wecom_to_customers():
        external_id = customer_external_id(customer_id=customer.pk, source=WECOM_SOURCE)
        return external_id, wecom_index(external_id)
    field = address_index_field(channel)
    if field is None:
        return "", ""
    value_field = "email" if field == "email_index" else "phone"
    return (getattr(customer, value_field) or "", getattr(customer, field) or "")


def _clock(text: str) -> dt.time:
    hours, _sep, minutes = text.strip().partition(":")
    return dt.time(int(hours), int(minutes or 0))


def quiet_until(now: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    """When quiet hours (``GUANXI_QUIET_HOURS``, default 21:00-09:00, local)
    end, if ``now`` is inside them; None outside them or when the setting is
    empty."""
    spec = str(settings.GUANXI_QUIET_HOURS or "").strip()
    if not spec:
        return None
    start_text, _sep, end_text = spec.partition("-")
    start, end = _clock(start_text), _clock(end_text)
    local = now.astimezone(tz)
    clock = local.time()
    if start <= end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # over midnight
        inside = clock >= start or clock < end
        end_day = local.date() + dt.timedelta(days=1 if clock >= start else 0)
    if not inside:
        return None
    return dt.datetime.combine(end_day, end, tzinfo=tz)


def over_weekly_cap(*, customer_id: int, now: dt.datetime) -> bool:
    """Whether the customer had ``GUANXI_MARKETING_PER_WEEK`` marketing
    messages sent in the 7 days before ``now``, on any channel."""
    cap = int(settings.GUANXI_MARKETING_PER_WEEK)
    sent = Message.objects.filter(
        customer_id=customer_id,
        purpose=Purpose.MARKETING,
        status=MessageStatus.SENT,
        sent_at__gt=now - dt.timedelta(days=7),
    ).count()
    return sent >= cap
