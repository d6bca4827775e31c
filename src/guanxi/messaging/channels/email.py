"""E-mail over SMTP to any server, through Django's SMTP backend.

``GUANXI_EMAIL_URL``: ``smtp://host:25`` (plain), ``smtp+starttls://user:pass@host:587``
(STARTTLS), ``smtps://user:pass@host:465`` (TLS from the start).
Marketing mail carries ``List-Unsubscribe`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058). The
Message-ID is made from the idempotency key, so every attempt of one message
carries the same one. Classification: the server's 4xx, a refused or dropped
connection and a timeout are temporary; a 5xx for the recipient is permanent
and suppresses the address.
"""

from __future__ import annotations

import contextlib
import smtplib
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend
from django.core.mail.message import sanitize_address
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.messaging.channels.base import Envelope, Result, failed, retry, sent

TIMEOUT_SECONDS = 10
PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str
    password: str
    starttls: bool
    tls: bool

    def __repr__(self) -> str:  # never the password
        return f"SmtpServer({self.host}:{self.port})"


def smtp_server(url: str) -> SmtpServer:
    """Parse ``GUANXI_EMAIL_URL``. The error never repeats the URL (it may
    hold a password)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in PORTS or not parts.hostname:
        raise ValidationFailed(
            _(
                "GUANXI_EMAIL_URL must look like smtp://host:port, "
                "smtp+starttls://user:password@host:587 or smtps://user:password@host:465."
            )
        )
    try:
        port = parts.port or PORTS[parts.scheme]
    except ValueError:
        raise ValidationFailed(
            _("GUANXI_EMAIL_URL has a port that is not a number.")
        ) from None
    return SmtpServer(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        starttls=parts.scheme == "smtp+starttls",
        tls=parts.scheme == "smtps",
    )


class EmailSender:
    """One SMTP connection, opened at the first message and kept for the
    batch; dropped after an error and opened again for the next message."""

    def __init__(self, *, url: str, from_address: str) -> None:
        self.server = smtp_server(url)
        self.from_address = from_address
        self.domain = from_address.rpartition("@")[2] or "localhost"
        self._backend: EmailBackend | None = None

    def _open(self) -> EmailBackend:
        if self._backend is None:
            server = self.server
            backend = EmailBackend(
                host=server.host,
                port=server.port,
                username=server.username or None,
                password=server.password or None,
                use_tls=server.starttls,
                use_ssl=server.tls,
                timeout=TIMEOUT_SECONDS,
                fail_silently=False,
            )
            backend.open()
            self._backend = backend
        return self._backend

    def close(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                backend.close()  # already gone

    def message(self, envelope: Envelope) -> EmailMultiAlternatives:
        headers = {"Message-ID": f"<{envelope.key}@{self.domain}>"}
        if envelope.unsubscribe_url:
            headers["List-Unsubscribe"] = f"<{envelope.unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail = EmailMultiAlternatives(
            subject=envelope.subject,
            body=envelope.text,
            from_email=self.from_address,
            to=[envelope.to],
            headers=headers,
        )
        mail.attach_alternative(envelope.html, "text/html")
        return mail

    def send(self, envelope: Envelope) -> Result:
        if not envelope.to or any(c in envelope.to for c in "\r\n"):
            return failed("no valid address", suppress_address=False)
        try:
            mail = self.message(envelope)
            # Built once (a header with a line break is refused here, before
            # connecting) and handed to the connection as bytes, as Django's
            # backend would after building it a second time.
            # Django's MIME classes take ``linesep`` (the stubs know email's only).
            data = mail.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
            encoding = mail.encoding or settings.DEFAULT_CHARSET
            sender = sanitize_address(mail.from_email, encoding)
            recipients = [sanitize_address(to, encoding) for to in mail.recipients()]
        except (ValueError, UnicodeError):
            return failed("address refused before sending")
        try:
            connection = self._open().connection
            if connection is None:  # the backend could not connect
                raise smtplib.SMTPServerDisconnected("not connected")
            connection.sendmail(sender, recipients, data)
        except smtplib.SMTPRecipientsRefused as error:
            code, _text = next(iter(error.recipients.values()), (0, b""))
            if 500 <= code < 600:
                return failed(f"SMTP {code} for the recipient", suppress_address=True)
            return retry(f"SMTP {code} for the recipient")
        except smtplib.SMTPResponseException as error:
            self.close()
            code = int(error.smtp_code)
            if 500 <= code < 600 and isinstance(error, smtplib.SMTPDataError):
                return failed(f"SMTP {code} for the message")
            return retry(f"SMTP {code}")
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            return retry(f"SMTP connection: {type(error).__name__}")
        return sent()
