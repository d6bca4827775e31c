"""Inbound e-mail on the feedback address: the provider's webhook checked and
the message read into what a ticket needs (who sent it, the ticket it
answers, its text).

The provider (or a small relay in front of the mailbox) POSTs the raw
message (RFC 5322 bytes, ``Content-Type: message/rfc822``) signed as our
outbound webhook signs: ``X-Guanxi-Timestamp`` is the Unix time and
``X-Guanxi-Signature`` is ``sha256=`` + hex HMAC-SHA256 under
``GUANXI_INBOUND_MAIL_SECRET`` of ``"<timestamp>.<body>"``; a timestamp more
than five minutes off is refused (a replayed request). HTML bodies are
reduced to text by a parser that keeps only the text (scripts and styles
dropped); nothing of the HTML is ever shown.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import hmac
import re
from dataclasses import dataclass
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

from guanxi.feedback.models import MAX_TEXT

__all__ = [
    "MAX_MAIL_BYTES",
    "MailRefused",
    "ParsedMail",
    "html_to_text",
    "mail_parse",
    "mail_signature",
    "mail_signature_ok",
]

#: Largest message accepted (bytes, attachments included): room for one
#: attachment of the 5 MB limit, base64-encoded.
MAX_MAIL_BYTES = 10_000_000
#: How far the signed timestamp may be from now (seconds).
MAX_SKEW_SECONDS = 300
#: ``[#123]`` in the subject names the ticket a message answers.
TICKET_REF = re.compile(r"\[#(\d{1,12})\]")


class MailRefused(Exception):
    """A message not read at all; ``status`` is the HTTP answer's code."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ParsedMail:
    """What a ticket needs of one message."""

    message_key: str
    sender: str
    subject: str
    text: str
    ticket_ref: int | None
    automatic: bool
    #: ``(file name, bytes)`` of each attachment, unchecked (the ticket's
    #: rules check them: :func:`guanxi.feedback.services.inbound_mail_receive`).
    attachments: tuple[tuple[str, bytes], ...] = ()


def mail_signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def mail_signature_ok(
    *, secret: str, timestamp: str, signature: str, body: bytes, now: float
) -> bool:
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs(now - stamp) > MAX_SKEW_SECONDS:
        return False
    return hmac.compare_digest(mail_signature(secret, timestamp, body), signature)


class _TextOnly(HTMLParser):
    """Collects the text of an HTML document: tags dropped, entities decoded,
    the content of script, style, head and template elements left out."""

    SKIP = frozenset({"script", "style", "head", "template", "noscript", "title"})
    BREAK = frozenset(
        {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The text of an HTML body, lines trimmed, runs of blank lines folded."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset, a broken encoding
        payload = part.get_payload(decode=True)
        content = (
            payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        )
    text = str(content)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text.replace("\x00", "").replace("\r\n", "\n").strip()


def _attachments(message: EmailMessage) -> tuple[tuple[str, bytes], ...]:
    found = []
    for part in message.iter_attachments():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        found.append((str(part.get_filename() or ""), data))
    return tuple(found)


def mail_parse(body: bytes) -> ParsedMail:
    """Read a raw message. Raises :class:`MailRefused` (too large, no sender,
    not readable as an e-mail)."""
    if len(body) > MAX_MAIL_BYTES:
        raise MailRefused(
            f"The e-mail is larger than {MAX_MAIL_BYTES} bytes.", status=413
        )
    try:
        return _parse(body)
    except (ValueError, TypeError, IndexError, LookupError, AttributeError):
        raise MailRefused("The e-mail cannot be read.") from None


def _parse(body: bytes) -> ParsedMail:
    message = email.message_from_bytes(body, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    _name, sender = email.utils.parseaddr(str(message.get("From", "")))
    if "@" not in sender:
        raise MailRefused("The e-mail has no sender.")
    subject = " ".join(str(message.get("Subject", "")).split())[:500]
    found = TICKET_REF.search(subject)
    message_id = str(message.get("Message-ID", "")).strip()
    key_source = message_id.encode() if message_id else body
    automatic = str(message.get("Auto-Submitted", "no")).strip().lower() not in (
        "",
        "no",
    )
    return ParsedMail(
        message_key=hashlib.sha256(key_source).hexdigest(),
        sender=sender.strip(),
        subject=subject,
        text=_body(message)[:MAX_TEXT],
        ticket_ref=int(found.group(1)) if found else None,
        automatic=automatic,
        attachments=_attachments(message),
    )
