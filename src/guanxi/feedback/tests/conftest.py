"""Fixtures of the feedback tests: the page fixtures of the access world and
a real SMTP server for the staff e-mails and progress notices."""

from __future__ import annotations

from tests.outbox import channel_settings_fresh, smtp
from tests.pages import _clean_cache, client_for, world

__all__ = ["_clean_cache", "channel_settings_fresh", "client_for", "smtp", "world"]
