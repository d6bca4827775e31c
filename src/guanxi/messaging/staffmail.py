"""E-mail to staff (a daily digest, a notice): over the same SMTP server as
the e-mail channel (``GUANXI_EMAIL_URL``), but not to customers, so no
consent ledger, no unsubscribe link and no outbox row."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.utils import translation

from guanxi.access.selectors import staff_language
from guanxi.core.errors import ValidationFailed
from guanxi.messaging.channel_settings import channel_setting
from guanxi.messaging.channels.base import Envelope, Outcome
from guanxi.messaging.choices import MessageChannel
from guanxi.messaging.senders import sender_for

__all__ = ["StaffMailer", "staff_mail_each"]

log = logging.getLogger(__name__)


class StaffMailer:
    """One SMTP connection for a batch of staff e-mails. Raises
    ``ValidationFailed`` when e-mail is not set up."""

    @staticmethod
    def configured() -> bool:
        """Whether e-mail is set up (the environment or the channels page)."""
        return bool(channel_setting("GUANXI_EMAIL_URL"))

    def __init__(self) -> None:
        self._sender = sender_for(MessageChannel.EMAIL)

    def send(self, *, key: str, to: str, subject: str, text: str, html: str) -> str:
        """Send one e-mail; "" when the server took it, else a short code for
        the log (never the address). ``key`` makes its Message-ID."""
        result = self._sender.send(
            Envelope(
                key=key,
                message_id=0,
                customer_id=0,
                purpose="staff",
                to=to,
                subject=subject,
                text=text,
                html=html,
            )
        )
        return "" if result.outcome == Outcome.SENT else result.code or "not sent"

    def close(self) -> None:
        self._sender.close()


def staff_mail_each(
    users: Iterable[Any],
    *,
    key: Callable[[Any], str],
    compose: Callable[[Any], tuple[str, str]],
    what: str,
) -> int:
    """A plain-text notice to each of ``users`` with an address, in their
    language: ``compose(user)`` (called in that language) gives the subject
    and text, ``key(user)`` the Message-ID's key. Nothing when e-mail is not
    set up. A refused e-mail is logged as ``what`` with the server's code,
    never the address. The number sent."""
    if not StaffMailer.configured():
        return 0
    try:
        mailer = StaffMailer()
    except ValidationFailed:
        return 0
    sent = 0
    try:
        for user in users:
            if not user.email:
                continue
            language = staff_language(user=user) or settings.LANGUAGE_CODE
            with translation.override(language):
                subject, text = compose(user)
            problem = mailer.send(
                key=key(user), to=user.email, subject=subject, text=text, html=""
            )
            if problem:
                log.warning("%s not sent: %s", what, problem)
            else:
                sent += 1
    finally:
        mailer.close()
    return sent
