"""Outbound HTTP to addresses the business gives (webhooks) without reaching
inside the network: HTTPS only (plain HTTP to loopback only when tests allow
it), the name resolved once and every address checked public, the connection
made to the checked address (a second lookup cannot swap it), no redirects
followed, short timeouts. A URL is never logged whole: its host is enough.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed

CONNECT_SECONDS = 5
READ_SECONDS = 10


class UrlRefused(ValidationFailed):
    """An outbound URL that is not sent to."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP address connected to


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def url_target(url: str, *, allow_loopback_http: bool = False) -> Target:
    """Check ``url`` and resolve its host to one public address. Raises
    :class:`UrlRefused`, naming the host at most."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UrlRefused(_("The URL is not valid.")) from None
    host = parts.hostname or ""
    if not host or parts.username or parts.password:
        raise UrlRefused(_("The URL is not valid."))
    if parts.scheme != "https" and not (parts.scheme == "http" and allow_loopback_http):
        raise UrlRefused(_("Only HTTPS URLs are allowed."))
    try:
        found = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UrlRefused(
            _("The host %(host)s cannot be resolved.") % {"host": host}
        ) from None
    addresses = [ipaddress.ip_address(str(row[4][0]).split("%")[0]) for row in found]
    loopback = all(a.is_loopback for a in addresses)
    if parts.scheme == "http" and not (allow_loopback_http and loopback):
        raise UrlRefused(_("Only HTTPS URLs are allowed."))
    if not (allow_loopback_http and loopback) and not all(
        _public(a) for a in addresses
    ):
        raise UrlRefused(
            _("The host %(host)s is not a public address.") % {"host": host}
        )
    return Target(
        scheme=parts.scheme,
        host=host,
        port=port or (443 if parts.scheme == "https" else 80),
        path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        address=str(addresses[0]),
    )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=CONNECT_SECONDS)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection(
            (self._address, self.port), timeout=CONNECT_SECONDS
        )
        self.sock.settimeout(READ_SECONDS)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target) -> None:
        super().__init__(
            target.host,
            target.port,
            timeout=CONNECT_SECONDS,
            context=ssl.create_default_context(),
        )
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection(
            (self._address, self.port), timeout=CONNECT_SECONDS
        )
        raw.settimeout(READ_SECONDS)
        # The certificate is checked against the name, the socket goes to the
        # address that was checked.
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; empty when it is not one."""
        try:
            loaded = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}


def request(
    method: str, target: Target, *, body: bytes | None, headers: dict[str, str]
) -> Answer:
    """One request to the checked address; a redirect is an answer, never
    followed. The answer's body is read up to 64 KiB."""
    connection: Any
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target)
    else:
        connection = _PinnedHTTPConnection(target)
    try:
        connection.request(method, target.path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(status=response.status, body=response.read(65536))
    finally:
        connection.close()


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST to the checked address; a redirect is an answer, never followed."""
    return request("POST", target, body=body, headers=headers)


def get(target: Target, *, headers: dict[str, str] | None = None) -> Answer:
    return request("GET", target, body=None, headers=headers or {})
