"""E-mail tracking: an open pixel and click links, each under a signature.

A tracked e-mail carries a 1×1 GIF at ``/m/o/<token>.gif`` (the token names
the message) and its http(s) links point at ``/m/c/<token>/`` (the token names
the message and a :class:`TrackedLink` row holding the URL). The tokens are
signed (``SECRET_KEY``, a salt per use): a forged or altered one names nothing,
so the click link can only ever lead to a URL Guanxi itself put into a mail —
no open redirect.

Only customers whose newest statement for purpose ``profiling`` on e-mail
grants it are tracked, at send time (no pixel, links untouched otherwise) and
again when the pixel or a link is fetched (a withdrawal since is respected:
nothing is recorded). ``GUANXI_TRACK_OPENS`` / ``GUANXI_TRACK_CLICKS`` switch
either off. The first open and the first click of a message are recorded
(``MessageEvent``: one of each kind per message); a click counts as an open
too, since most mail programs load no images until asked. Nothing about the
request (IP address, user agent) is read or kept.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import html
import re
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.http import base36_to_int, int_to_base36

from guanxi.customers.selectors import customer_rows
from guanxi.messaging.channels.base import Envelope
from guanxi.messaging.choices import MessageChannel, MessageStatus, Purpose
from guanxi.messaging.events import message_event_record
from guanxi.messaging.models import Message, MessageEvent, TrackedLink
from guanxi.messaging.selectors import consent_current, guardian_consent_current
from guanxi.privacy.selectors import is_minor

__all__ = [
    "PIXEL_GIF",
    "click_follow",
    "click_token",
    "envelope_track",
    "html_track",
    "open_record",
    "open_token",
    "text_track",
]

OPEN_SALT = "guanxi.messaging.open"
CLICK_SALT = "guanxi.messaging.click"
#: Longer links are left as they are (a mail with such a link is rare and the
#: table is no place for data smuggled in a URL).
URL_MAX = 2000
#: A transparent 1×1 GIF (43 bytes).
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

# A URL as written in text: RFC 3986 characters only, so Chinese punctuation
# or a closing bracket after it is not taken in.
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
_TRAILING = ".,;:!?'"
_HTTP = re.compile(r"https?://", re.IGNORECASE)
_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)")
_HREF = re.compile(r"""(\bhref\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
#: Elements whose text is no link a reader sees.
_NO_TEXT_LINKS = {"head", "style", "script", "title", "textarea"}


def _signer(salt: str) -> signing.Signer:
    return signing.Signer(salt=salt)


def _base() -> str:
    return str(settings.GUANXI_PUBLIC_URL).rstrip("/")


def open_token(*, message_id: int) -> str:
    return _signer(OPEN_SALT).sign(int_to_base36(message_id))


def click_token(*, message_id: int, link_id: int) -> str:
    value = f"{int_to_base36(message_id)}.{int_to_base36(link_id)}"
    return _signer(CLICK_SALT).sign(value)


def _read(token: str, salt: str, parts: int) -> list[int] | None:
    try:
        value = _signer(salt).unsign(token)
        numbers = [base36_to_int(p) for p in value.split(".")]
    except (signing.BadSignature, ValueError):
        return None
    return numbers if len(numbers) == parts else None


def open_url(*, message_id: int) -> str:
    token = open_token(message_id=message_id)
    return _base() + reverse("messaging:open", args=[token])


def click_url(*, message_id: int, link_id: int) -> str:
    token = click_token(message_id=message_id, link_id=link_id)
    return _base() + reverse("messaging:click", args=[token])


def _trim(url: str) -> str:
    """A URL found in text without the punctuation that ends its sentence
    (and a closing bracket it did not open)."""
    while url and (
        url[-1] in _TRAILING
        or (url[-1] == ")" and url.count("(") < url.count(")"))
        or (url[-1] == "]" and url.count("[") < url.count("]"))
    ):
        url = url[:-1]
    return url


def _tracked(url: str, track: Callable[[str], str | None]) -> str:
    return track(url) or url


def text_track(text: str, track: Callable[[str], str | None]) -> str:
    """``text`` with each http(s) URL replaced by ``track(url)`` (None: kept)."""

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        url = _trim(found)
        return _tracked(url, track) + found[len(url) :]

    return _URL.sub(replace, text)


def _text_links(segment: str, track: Callable[[str], str | None]) -> str:
    """HTML text with its bare URLs made into tracked links (the URL stays
    what the reader sees)."""
    plain = html.unescape(segment)
    if not _URL.search(plain):
        return segment
    out: list[str] = []
    position = 0
    for match in _URL.finditer(plain):
        url = _trim(match.group(0))
        target = track(url)
        if target is None:
            continue
        out.append(html.escape(plain[position : match.start()]))
        out.append(f'<a href="{html.escape(target)}">{html.escape(url)}</a>')
        position = match.start() + len(url)
    out.append(html.escape(plain[position:]))
    return "".join(out)


def _href(tag: str, track: Callable[[str], str | None]) -> str:
    def replace(match: re.Match[str]) -> str:
        raw = match.group(2) if match.group(2) is not None else match.group(3)
        url = html.unescape(raw).strip()
        target = track(url) if _HTTP.match(url) else None
        if target is None:
            return match.group(0)
        return f'{match.group(1)}"{html.escape(target)}"'

    return _HREF.sub(replace, tag, count=1)


def html_track(
    document: str, track: Callable[[str], str | None] | None, pixel_url: str = ""
) -> str:
    """``document`` with the ``href`` of its http(s) links and its bare URLs
    pointed through ``track`` (None: links untouched), and the pixel at
    ``pixel_url`` before ``</body>`` (empty: none)."""
    if track is not None:
        out: list[str] = []
        position = 0
        anchor = False
        skip = ""
        for match in _TAG.finditer(document):
            text = document[position : match.start()]
            out.append(text if anchor or skip else _text_links(text, track))
            tag = match.group(0)
            name = _TAG_NAME.match(tag)
            if name is not None:
                closing, element = name.group(1) == "/", name.group(2).lower()
                if skip:
                    if closing and element == skip:
                        skip = ""
                elif element == "a":
                    anchor = not closing
                    if not closing:
                        tag = _href(tag, track)
                elif element in _NO_TEXT_LINKS and not closing:
                    skip = element
            out.append(tag)
            position = match.end()
        tail = document[position:]
        out.append(tail if anchor or skip else _text_links(tail, track))
        document = "".join(out)
    if pixel_url:
        pixel = (
            f'<img src="{html.escape(pixel_url)}" width="1" height="1" alt="" '
            'style="display:block;border:0;width:1px;height:1px">'
        )
        ends = list(_BODY_END.finditer(document))
        if ends:
            at = ends[-1].start()
            document = document[:at] + pixel + document[at:]
        else:
            document += pixel
    return document


def tracked_link(url: str) -> int:
    """The id of the :class:`TrackedLink` row of ``url`` (made if new)."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
    found = TrackedLink.objects.filter(digest=digest).values_list("pk", flat=True)
    link_id = found.first()
    if link_id is not None:
        return int(link_id)
    try:
        with transaction.atomic():
            return int(TrackedLink.objects.create(url=url, digest=digest).pk)
    except IntegrityError:  # another worker made it meanwhile
        return int(TrackedLink.objects.get(digest=digest).pk)


def _tracking_allowed(customer_id: int) -> bool:
    """Opens and clicks are profiling: the customer's consent to it, and for
    a customer under 14 their guardian's (PIPL art. 31)."""
    if not consent_current(
        customer_id=customer_id, purpose=Purpose.PROFILING, channel="email"
    ):
        return False
    birthday = (
        customer_rows()
        .filter(pk=customer_id)
        .values_list("birthday", flat=True)
        .first()
    )
    return not is_minor(birthday) or guardian_consent_current(
        customer_id=customer_id, purpose=Purpose.PROFILING, channel="email"
    )


def envelope_track(envelope: Envelope, *, channel: str) -> Envelope:
    """An e-mail's envelope with the open pixel and click links, when the
    settings and the customer's profiling consent allow; any other envelope
    as it is. Links to Guanxi's own pages (the unsubscribe link) are left."""
    opens = bool(settings.GUANXI_TRACK_OPENS)
    clicks = bool(settings.GUANXI_TRACK_CLICKS)
    if channel != MessageChannel.EMAIL or not (opens or clicks):
        return envelope
    if not _tracking_allowed(envelope.customer_id):
        return envelope
    own = _base() + "/m/"
    made: dict[str, str | None] = {}

    def track(url: str) -> str | None:
        if url not in made:
            if (
                not _HTTP.match(url)
                or url.startswith(own)
                or url == envelope.unsubscribe_url
                or len(url) > URL_MAX
            ):
                made[url] = None
            else:
                link_id = tracked_link(url)
                made[url] = click_url(message_id=envelope.message_id, link_id=link_id)
        return made[url]

    text = text_track(envelope.text, track) if clicks else envelope.text
    pixel = open_url(message_id=envelope.message_id) if opens else ""
    page = html_track(envelope.html, track if clicks else None, pixel)
    return dataclasses.replace(envelope, text=text, html=page)


def _trackable_message(message_id: int) -> bool:
    customer_id = (
        Message.objects.filter(
            pk=message_id, channel=MessageChannel.EMAIL, status=MessageStatus.SENT
        )
        .values_list("customer_id", flat=True)
        .first()
    )
    return customer_id is not None and _tracking_allowed(customer_id)


def open_record(*, token: str, now: dt.datetime) -> bool:
    """Record the first open of the message the pixel's token names; whether
    one was recorded now (a bad token, a message not sent by e-mail or a
    customer who withdrew profiling consent: nothing, and no error)."""
    numbers = _read(token, OPEN_SALT, 1)
    if numbers is None or not _trackable_message(numbers[0]):
        return False
    return message_event_record(
        message_id=numbers[0], kind=MessageEvent.Kind.OPENED, occurred_at=now, now=now
    )


def click_follow(*, token: str, now: dt.datetime) -> str | None:
    """The URL a click link leads to (None: not a token of ours, or no such
    link), recording the message's first click (and open)."""
    numbers = _read(token, CLICK_SALT, 2)
    if numbers is None:
        return None
    message_id, link_id = numbers
    url = TrackedLink.objects.filter(pk=link_id).values_list("url", flat=True).first()
    if url is None:
        return None
    if _trackable_message(message_id):
        with transaction.atomic():
            for kind in (MessageEvent.Kind.CLICKED, MessageEvent.Kind.OPENED):
                message_event_record(
                    message_id=message_id, kind=kind, occurred_at=now, now=now
                )
    return str(url)
