"""Fixtures of the surveys tests: English, a real SMTP server, customers
with an e-mail address."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from tests.outbox import channel_settings_fresh, english, smtp_set_up
from tests.pages import _clean_cache, api_client_for, client_for, world

from guanxi.messaging.tests.servers import SmtpRecorder

__all__ = [
    "_clean_cache",
    "api_client_for",
    "channel_settings_fresh",
    "client_for",
    "english",
    "world",
]

_emails = itertools.count(1)


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpRecorder]:
    """The shared SMTP set-up; links in the invitations point at the test
    client's host."""
    with smtp_set_up(settings) as recorder:
        settings.GUANXI_PUBLIC_URL = "http://testserver"
        yield recorder


@pytest.fixture
def customer_with_email(make_customer: Any) -> Any:
    def make(**values: Any) -> Any:
        values.setdefault("email", f"c{next(_emails)}@example.com")
        return make_customer(**values)

    return make
