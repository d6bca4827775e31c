"""Fixtures of the messaging tests: English messages, customers with and
without consent, and the real servers of :mod:`servers`."""

from __future__ import annotations

from tests.outbox import channel_settings_fresh, english, smtp, subscribed_customer
from tests.pages import _clean_cache, api_client_for, client_for, world

# The page fixtures (the access world, a client per role) for the outbox tests.
__all__ = [
    "_clean_cache",
    "api_client_for",
    "channel_settings_fresh",
    "client_for",
    "english",
    "smtp",
    "subscribed_customer",
    "world",
]
