"""Fixtures of the messaging tests: English messages, customers with and
without consent, and the real servers of :mod:`servers`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.outbox import channel_settings_fresh, english, smtp
from tests.pages import _clean_cache, api_client_for, client_for, world

from guanxi.messaging.services import consent_record

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


@pytest.fixture
def subscribed_customer(make_customer: Any) -> Callable[..., Any]:
    """Makes a customer (``make_customer``'s fields) who agreed to marketing
    e-mail: the set-up of the unsubscribe tests."""

    def make(**fields: Any) -> Any:
        customer = make_customer(**fields)
        consent_record(
            customer=customer,
            purpose="marketing",
            channel="email",
            granted=True,
            source="form",
            notice_version="v1",
        )
        return customer

    return make
