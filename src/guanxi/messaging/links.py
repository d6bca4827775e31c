"""Signed links in messages: one-click unsubscribe and the preference page
(no login)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from guanxi.core.crypto import open_token, seal_token

UNSUBSCRIBE_SALT = "guanxi.messaging.unsubscribe"


def unsubscribe_token(
    *, customer_id: int, channel: str, message_id: int | None = None
) -> str:
    """The signed token of an unsubscribe link; ``message_id`` names the
    message the link came in (its ``unsubscribed`` event)."""
    data: dict[str, Any] = {"c": customer_id, "ch": channel}
    if message_id is not None:
        data["m"] = message_id
    return signing.dumps(data, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> dict[str, Any] | None:
    """The customer and channel of a token; None when it is not one of ours."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    return data


def unsubscribe_url(
    *, customer_id: int, channel: str, message_id: int | None = None
) -> str:
    base = str(settings.GUANXI_PUBLIC_URL).rstrip("/")
    token = unsubscribe_token(
        customer_id=customer_id, channel=channel, message_id=message_id
    )
    return base + reverse("messaging:unsubscribe", args=[token])


# --- the preference page ---------------------------------------------------
#
# Sealed, not only signed (core.crypto.seal_token: AES-GCM): the link names the
# customer and when it was made, and nobody holding it can read the customer
# number out of it or make one for another customer. It is made when its
# message is rendered and opens for GUANXI_PREFERENCES_LINK_DAYS days.

PREFERENCES_CONTEXT = "messaging.preferences"


class LinkState(enum.Enum):
    OK = "ok"
    INVALID = "invalid"  # not one of ours: damaged, forged, another key
    EXPIRED = "expired"


@dataclass(frozen=True)
class PreferencesLink:
    state: LinkState
    customer_id: int = 0


def preferences_token(*, customer_id: int, now: dt.datetime | None = None) -> str:
    issued = int((now or timezone.now()).timestamp())
    return seal_token(f"{customer_id}.{issued}", context=PREFERENCES_CONTEXT)


def preferences_read(token: str, *, now: dt.datetime | None = None) -> PreferencesLink:
    """The customer a preference link names, or why it does not open."""
    raw = open_token(token, context=PREFERENCES_CONTEXT)
    customer, _dot, issued = (raw or "").partition(".")
    if not (customer.isdigit() and issued.isdigit()):
        return PreferencesLink(LinkState.INVALID)
    days = int(settings.GUANXI_PREFERENCES_LINK_DAYS)
    age = (now or timezone.now()).timestamp() - int(issued)
    if age > days * 86400:
        return PreferencesLink(LinkState.EXPIRED)
    return PreferencesLink(LinkState.OK, int(customer))


def preferences_path(*, customer_id: int, now: dt.datetime | None = None) -> str:
    token = preferences_token(customer_id=customer_id, now=now)
    return reverse("messaging:preferences", args=[token])


def preferences_url(*, customer_id: int, now: dt.datetime | None = None) -> str:
    base = str(settings.GUANXI_PUBLIC_URL).rstrip("/")
    return base + preferences_path(customer_id=customer_id, now=now)
