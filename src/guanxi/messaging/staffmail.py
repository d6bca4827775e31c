"""E-mail to staff (a daily digest, a notice): over the same SMTP server as
the e-mail channel (``GUANXI_EMAIL_URL``), but not to customers, so no
consent ledger, no unsubscribe link and no outbox row."""

from __future__ import annotations

from guanxi.messaging.channel_settings import channel_setting
from guanxi.messaging.channels.base import Envelope, Outcome
from guanxi.messaging.choices import MessageChannel
from guanxi.messaging.senders import sender_for

__all__ = ["StaffMailer"]


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
