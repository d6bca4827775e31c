"""Delivery: claim due messages, check each again at send time, render it,
hand it to its channel and record how it went.

Each message is finished in its own write, right after its channel answered:
a worker killed mid-batch leaves at most the message it was sending unrecorded
(sent again after the lease lapses: the one duplicate a kill can cause, and
the receiver sees the same Message-ID / Idempotency-Key); the others it had
claimed were never sent and are claimed again when the lease lapses.

Reads are made per batch (the claimed messages with their customers and
broadcasts in one query, the suppressed addresses among them in another);
what may change between claim and send — consent, the weekly cap — is still
read for each message as it is sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.core.errors import DomainError
from guanxi.customers.selectors import customer_time_zone
from guanxi.messaging.channels.base import Envelope, Outcome, Sender
from guanxi.messaging.choices import MessageChannel, Purpose, SuppressReason
from guanxi.messaging.languages import broadcast_version, language_wanted
from guanxi.messaging.links import preferences_url, unsubscribe_url
from guanxi.messaging.models import Message, SuppressedAddress
from guanxi.messaging.outbox import (
    message_defer,
    message_failed,
    message_retry,
    message_sent,
    message_suppressed,
    messages_claim,
    messages_renew,
    suppressed_indexes,
)
from guanxi.messaging.rendering import SAMPLE, VARIABLES, Rendered, footer_add, render
from guanxi.messaging.rules import (
    address_of,
    consent_channel,
    needs_address,
    over_weekly_cap,
    quiet_until,
)
from guanxi.messaging.selectors import consent_current, guardian_consent_current
from guanxi.messaging.senders import sender_for
from guanxi.messaging.tracking import envelope_track
from guanxi.privacy.selectors import is_minor

logger = logging.getLogger(__name__)
BATCH = 50


def _verdict(
    message: Message, now: dt.datetime, suppressed: set[tuple[str, str]] | None
) -> tuple[str, Any] | None:
    """("suppress", reason) or ("defer", until), or None to send now.
    ``suppressed``: the batch's suppressed (channel, address index) pairs,
    read once for the batch (None: ask the database)."""
    customer = message.customer
    address, index = address_of(message.channel, customer)
    if needs_address(message.channel) and not address:
        return ("suppress", SuppressReason.NO_ADDRESS)
    if index and (
        (message.channel, index) in suppressed
        if suppressed is not None
        else SuppressedAddress.objects.filter(
            channel=message.channel, address_index=index
        ).exists()
    ):
        return ("suppress", SuppressReason.ADDRESS_SUPPRESSED)
    if message.purpose != Purpose.MARKETING:
        return None
    needed = consent_channel(message.channel, customer.preferred_channel)
    if needed is None or not consent_current(
        customer_id=customer.pk, purpose=Purpose.MARKETING, channel=needed
    ):
        return ("suppress", SuppressReason.NO_CONSENT)
    # A customer under 14 (PIPL arts. 28, 31): only their guardian's consent
    # lets marketing through.
    if is_minor(customer.birthday) and not guardian_consent_current(
        customer_id=customer.pk, purpose=Purpose.MARKETING, channel=needed
    ):
        return ("suppress", SuppressReason.MINOR)
    until = quiet_until(now, customer_time_zone(customer))
    if until is not None:
        return ("defer", until)
    if over_weekly_cap(customer_id=customer.pk, now=now):
        return ("suppress", SuppressReason.FREQUENCY_CAP)
    return None


def message_values(customer: Any) -> dict[str, str]:
    manager = customer.assigned_manager
    return {
        "name": customer.name or "",
        "city": customer.city or "",
        "manager": (manager.get_full_name() or manager.get_username())
        if manager
        else "",
        "store": str(getattr(settings, "GUANXI_STORE_NAME", "") or ""),
        "survey_url": "",
        # A placeholder: a preview must not hand staff a working link to the
        # customer's preference page (the real one is made at send time).
        "preferences_url": SAMPLE["preferences_url"],
    }


def _footer(
    rendered: Rendered, *, language: str, unsubscribe: str, prefs: str
) -> Rendered:
    """A marketing e-mail's footer: unsubscribe and the preference page, in
    the language of the message."""
    with translation.override(language):
        links = [(_("Unsubscribe"), unsubscribe), (_("Manage preferences"), prefs)]
        return footer_add(rendered, links=[(str(w), u) for w, u in links])


def _envelope(message: Message) -> tuple[Envelope, str]:
    """The message rendered for its customer, in the language they get (and
    that language)."""
    customer = message.customer
    broadcast = message.broadcast
    assert broadcast is not None  # the only cause so far
    prefs = preferences_url(customer_id=customer.pk)
    own = {
        k: str(v) for k, v in (message.template_values or {}).items() if k in VARIABLES
    }
    values = {
        **message_values(customer),
        **own,
        "survey_url": message.link,
        "preferences_url": prefs,
    }
    language, version = broadcast_version(broadcast, customer)
    rendered = render(subject=version.subject, body=version.body, values=values)
    address, _index = address_of(message.channel, customer)
    link = ""
    needed = consent_channel(message.channel, customer.preferred_channel)
    if message.purpose == Purpose.MARKETING and needed:
        link = unsubscribe_url(
            customer_id=customer.pk, channel=needed, message_id=message.pk
        )
        if message.channel == MessageChannel.EMAIL:
            rendered = _footer(
                rendered,
                language=language or language_wanted(customer),
                unsubscribe=link,
                prefs=prefs,
            )
    return Envelope(
        key=message.idempotency_key,
        message_id=message.pk,
        customer_id=customer.pk,
        purpose=message.purpose,
        to=address,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        unsubscribe_url=link,
        manager_id=customer.assigned_manager_id,
        values=values,
    ), language


def _claimed(ids: list[int], token: str) -> QuerySet[Message]:
    return Message.objects.select_related(
        "customer", "customer__assigned_manager", "broadcast"
    ).filter(pk__in=ids, lease_token=token)


def _batch(
    ids: list[int], token: str
) -> tuple[dict[int, Message], set[tuple[str, str]]]:
    """The claimed messages with their customers and broadcasts, in one
    query, and which of their addresses are suppressed, in another (instead
    of two queries for each message)."""
    messages = {m.pk: m for m in _claimed(ids, token)}
    wanted: dict[str, set[str]] = {}
    for message in messages.values():
        if needs_address(message.channel):
            index = address_of(message.channel, message.customer)[1]
            if index:
                wanted.setdefault(message.channel, set()).add(index)
    suppressed = {
        (channel, index)
        for channel, indexes in wanted.items()
        for index in suppressed_indexes(channel, indexes)
    }
    return messages, suppressed


def message_deliver(
    *,
    message_id: int,
    token: str,
    senders: dict[str, Sender],
    now: dt.datetime,
    message: Message | None = None,
    suppressed: set[tuple[str, str]] | None = None,
) -> str:
    """Send one claimed message; returns what became of it (for counts).
    ``message`` and ``suppressed``: read for the whole batch (:func:`_batch`);
    the lease is checked again by every finishing write."""
    if message is None:
        message = _claimed([message_id], token).first()
    if message is None:
        return "lost lease"
    verdict = _verdict(message, now, suppressed)
    if verdict is not None:
        kind, value = verdict
        if kind == "defer":
            message_defer(message_id=message_id, token=token, until=value)
            return "deferred"
        message_suppressed(message_id=message_id, token=token, reason=value)
        return "suppressed"
    try:
        envelope, language = _envelope(message)
        envelope = envelope_track(envelope, channel=message.channel)
        sender = senders.get(message.channel)
        if sender is None:
            sender = senders[message.channel] = sender_for(message.channel)
        result = sender.send(envelope)
    except DomainError as error:  # the channel is not set up (any more)
        message_retry(
            message_id=message_id,
            token=token,
            code=error.message,
            attempts=message.attempts,
            now=now,
        )
        return "retry"
    except Exception as error:  # a defect: retried, logged without personal data
        logger.exception("message %s: %s", message_id, type(error).__name__)
        message_retry(
            message_id=message_id,
            token=token,
            code=f"error: {type(error).__name__}",
            attempts=message.attempts,
            now=now,
        )
        return "retry"
    if result.outcome is Outcome.SENT:
        message_sent(
            message_id=message_id,
            token=token,
            now=timezone.now(),
            provider_id=result.provider_id,
            language=language,
        )
        return "sent"
    if result.outcome is Outcome.RETRY:
        logger.warning("message %s: retry later (%s)", message_id, result.code)
        message_retry(
            message_id=message_id,
            token=token,
            code=result.code,
            attempts=message.attempts,
            now=now,
        )
        return "retry"
    index = address_of(message.channel, message.customer)[1]
    if result.suppress_address and suppressed is not None and index:
        suppressed.add((message.channel, index))
    logger.warning("message %s: failed (%s)", message_id, result.code)
    message_failed(
        message_id=message_id,
        token=token,
        code=result.code,
        suppress=(message.channel, index) if result.suppress_address else None,
    )
    return "failed"


def messages_dispatch(
    *,
    batch: int = BATCH,
    clock: Callable[[], dt.datetime] = timezone.now,
    senders: dict[str, Sender] | None = None,
) -> dict[str, int]:
    """Claim and send due messages until none is due; what became of them."""
    senders = {} if senders is None else senders
    counts: dict[str, int] = {}
    lease = float(settings.GUANXI_MESSAGE_LEASE_SECONDS)
    try:
        while True:
            token, ids = messages_claim(limit=batch, lease_seconds=lease, now=clock())
            if not ids:
                break
            claimed = time.monotonic()
            held = set(ids)
            batch_messages, suppressed = _batch(ids, token)
            for position, message_id in enumerate(ids):
                if time.monotonic() - claimed > lease / 3:
                    # A slow batch: renew the lease of what is left, so no
                    # message of it is claimed by another worker meanwhile.
                    held = messages_renew(
                        ids=ids[position:],
                        token=token,
                        lease_seconds=lease,
                        now=clock(),
                    )
                    claimed = time.monotonic()
                if message_id not in held:
                    counts["lost lease"] = counts.get("lost lease", 0) + 1
                    continue
                message = batch_messages.get(message_id)
                if message is None:
                    counts["lost lease"] = counts.get("lost lease", 0) + 1
                    continue
                outcome = message_deliver(
                    message_id=message_id,
                    token=token,
                    senders=senders,
                    now=clock(),
                    message=message,
                    suppressed=suppressed,
                )
                counts[outcome] = counts.get(outcome, 0) + 1
    finally:
        for sender in senders.values():
            sender.close()
    return counts
