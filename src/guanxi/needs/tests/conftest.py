"""Fixtures of the needs tests: English, the access world's pages and a real
SMTP server for the close-the-loop messages."""

from __future__ import annotations

from tests.outbox import channel_settings_fresh, english, smtp
from tests.pages import _clean_cache, api_client_for, client_for, world

__all__ = [
    "_clean_cache",
    "api_client_for",
    "channel_settings_fresh",
    "client_for",
    "english",
    "smtp",
    "world",
]
