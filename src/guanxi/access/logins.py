"""Login lockout on the (user, address) pair, with a ceiling of its own per
address, and the client's real address behind trusted proxies (django-axes).

Locking an account after ten wrong passwords from one address locked its
owner out from every address, and locking the address locked everyone behind
it (an office, a shop's Wi-Fi). Now ``AXES_FAILURE_LIMIT`` wrong passwords for
one user from one address lock that user at that address, and
``GUANXI_LOGIN_ADDRESS_LIMIT`` from one address, whatever the users, lock the
address. An administrator unlocks a user (``login_unlock``).

The address is the connection's (``REMOTE_ADDR``). Only when that is one of
``GUANXI_TRUSTED_PROXIES`` is ``X-Forwarded-For`` read, from the right: the
first entry that is not a trusted proxy is the client. A client that sends its
own ``X-Forwarded-For`` therefore changes nothing.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum

__all__ = ["PairAndAddressHandler", "client_address", "is_trusted_proxy"]


def is_trusted_proxy(address: str) -> bool:
    """``address`` is one of ``GUANXI_TRUSTED_PROXIES`` (addresses or networks)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    for entry in settings.GUANXI_TRUSTED_PROXIES:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(request: Any) -> str:
    """The client's address: the connection's, or behind trusted proxies the
    right-most ``X-Forwarded-For`` entry that is not one of them."""
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    if not is_trusted_proxy(remote):
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "") or "")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not is_trusted_proxy(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # not an address: the proxy's own
    return remote


class PairAndAddressHandler(AxesDatabaseHandler):  # type: ignore[misc]
    """Failures counted per (username, address) and per address
    (``AXES_LOCKOUT_PARAMETERS`` in that order): locked when the pair reaches
    ``AXES_FAILURE_LIMIT`` or the address ``GUANXI_LOGIN_ADDRESS_LIMIT``."""

    def get_failures(
        self, request: Any, credentials: dict[str, Any] | None = None
    ) -> int:
        counts = [
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        pair = counts[0] if counts else 0
        address = counts[1] if len(counts) > 1 else 0
        if address >= settings.GUANXI_LOGIN_ADDRESS_LIMIT:
            return max(pair, int(get_failure_limit(request, credentials)))
        return int(pair)
