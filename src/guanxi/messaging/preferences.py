"""The customer's own preference page (a sealed link, no login): per consent
channel, whether they receive marketing, and the switch to change it.

What the page shows and what saving does are decided here, not in the view:

- the current state is what delivery decides by: the newest ledger statement
  for marketing on the channel; for a customer under 14 (PIPL art. 31) only
  a statement of their guardian's counts;
- saving writes one ledger row (source ``preferences``, notice version
  :data:`PREFERENCES_NOTICE`) for each channel whose switch changed, all in
  one transaction, and nothing for the others;
- a customer may always switch marketing off; they may switch it back on
  themselves (after an unsubscribe or a complaint too: their own new
  statement is the consent), except a customer under 14, whose consent only
  a guardian gives — that is refused and nothing is written;
- an address suppressed after a bounce may be consented on too (the
  customer's wish is kept); the page says that nothing reaches it until the
  customer gives the business a new one;
- personal values shown: the e-mail address and the phone number masked
  (``z***@example.com``, ``138****8000``) so the customer recognises which
  address is meant; nothing else (no name, no WeCom id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.core.masking import mask_email, mask_phone
from guanxi.customers.selectors import customer_language, customer_rows
from guanxi.messaging.choices import ConsentChannel, ConsentSource, Purpose
from guanxi.messaging.consent import consent_record
from guanxi.messaging.links import LinkState, preferences_read
from guanxi.messaging.models import SuppressedAddress
from guanxi.messaging.rules import address_index_field
from guanxi.messaging.selectors import consent_current, guardian_consent_current
from guanxi.privacy.selectors import is_minor

__all__ = [
    "CHANNELS",
    "PREFERENCES_NOTICE",
    "ChannelPreference",
    "LinkRefused",
    "Preferences",
    "customer_language_of",
    "preferences_for_link",
    "preferences_save",
]

#: The version of the page's notice (its wording of what marketing consent
#: means), recorded with every statement made on it. Raise it when the
#: wording changes.
PREFERENCES_NOTICE = "preferences-1"
#: The channels on the page, in its order.
CHANNELS: tuple[str, ...] = tuple(ConsentChannel.values)
YES, NO = "yes", "no"


class LinkRefused(Exception):
    """A link that does not open the page: ``state`` says why."""

    def __init__(self, state: LinkState) -> None:
        super().__init__(state.value)
        self.state = state


@dataclass(frozen=True)
class ChannelPreference:
    channel: str
    label: Any  # lazy: the page renders it in the language it is shown in
    #: The masked address the channel reaches ("" for WeCom or none on file).
    address: str
    has_address: bool
    marketing: bool
    #: The address is suppressed after a permanent failure (a bounce): the
    #: choice is kept, but nothing reaches it until the address changes.
    undeliverable: bool = False


@dataclass(frozen=True)
class Preferences:
    customer: Any
    language: str
    minor: bool
    channels: tuple[ChannelPreference, ...]

    def state(self) -> dict[str, bool]:
        return {c.channel: c.marketing for c in self.channels}


def _address(customer: Any, channel: str) -> tuple[str, bool]:
    if channel == ConsentChannel.EMAIL:
        return mask_email(customer.email), bool(customer.email)
    if channel in (ConsentChannel.SMS, ConsentChannel.PHONE):
        return mask_phone(customer.phone), bool(customer.phone)
    return "", True  # WeCom: whether linked is not the customer's to read here


def _undeliverable(customer: Any, channel: str) -> bool:
    field = address_index_field(channel)
    index = getattr(customer, field, None) if field else None
    return bool(index) and (
        SuppressedAddress.objects.filter(channel=channel, address_index=index).exists()
    )


def _marketing(customer: Any, channel: str, minor: bool) -> bool:
    if minor:
        return guardian_consent_current(
            customer_id=customer.pk, purpose=Purpose.MARKETING, channel=channel
        )
    return consent_current(
        customer_id=customer.pk, purpose=Purpose.MARKETING, channel=channel
    )


def _preferences(customer: Any) -> Preferences:
    minor = is_minor(customer.birthday)
    channels = []
    for channel in CHANNELS:
        address, has_address = _address(customer, channel)
        channels.append(
            ChannelPreference(
                channel=channel,
                label=ConsentChannel(channel).label,
                address=address,
                has_address=has_address,
                marketing=_marketing(customer, channel, minor),
                undeliverable=_undeliverable(customer, channel),
            )
        )
    return Preferences(
        customer=customer,
        language=customer_language(customer),
        minor=minor,
        channels=tuple(channels),
    )


def customer_language_of(customer_id: int) -> str:
    """The language customer ``customer_id`` is written to in (the business's
    when they have none, or are gone)."""
    customer = customer_rows().filter(pk=customer_id).only("language").first()
    return customer_language(customer)


def preferences_for_link(token: str) -> Preferences:
    """The page of a link; :class:`LinkRefused` when it does not open (a
    link of a customer who no longer exists — erased — is invalid)."""
    link = preferences_read(token)
    if link.state is not LinkState.OK:
        raise LinkRefused(link.state)
    customer = customer_rows().filter(pk=link.customer_id).first()
    if customer is None:
        raise LinkRefused(LinkState.INVALID)
    return _preferences(customer)


def _wanted(form: Any) -> dict[str, bool]:
    """Each channel's switch from the posted form (a ``QueryDict``): exactly
    one ``yes`` or ``no`` per channel; other fields are not read."""
    wanted: dict[str, bool] = {}
    for channel in CHANNELS:
        values = form.getlist(channel)
        if len(values) != 1 or values[0] not in (YES, NO):
            raise ValidationFailed(
                _(
                    "The form was not filled in as expected. Reload the page "
                    "and try again."
                ),
                field=channel,
            )
        wanted[channel] = values[0] == YES
    return wanted


def preferences_save(*, token: str, form: Any) -> tuple[Preferences, list[str]]:
    """Record what the customer chose: a ledger row for each changed channel,
    in one transaction. Returns the page as it is now and the channels
    changed. ``ValidationFailed`` (nothing written) for a malformed form or a
    minor switching marketing on; :class:`LinkRefused` for a bad link."""
    before = preferences_for_link(token)
    wanted = _wanted(form)
    current = before.state()
    changed = [c for c in CHANNELS if wanted[c] != current[c]]
    if before.minor and any(wanted[c] for c in changed):
        raise ValidationFailed(
            _(
                "Marketing messages to a customer under 14 need the consent of a "
                "parent or guardian. Please ask them to contact us."
            ),
            field="minor",
        )
    customer = before.customer
    with transaction.atomic():
        for channel in changed:
            consent_record(
                customer=customer,
                purpose=Purpose.MARKETING,
                channel=channel,
                granted=wanted[channel],
                source=ConsentSource.PREFERENCES,
                notice_version=PREFERENCES_NOTICE,
                evidence="preference page",
            )
    return _preferences(customer), changed
