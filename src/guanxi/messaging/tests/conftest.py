"""Fixtures of the messaging tests: English messages, customers with and
without consent, and the real servers of :mod:`servers`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation
from tests.pages import _clean_cache, api_client_for, client_for, world

from guanxi.messaging.tests.servers import SmtpRecorder, smtp_server

# The page fixtures (the access world, a client per role) for the outbox tests.
__all__ = ["_clean_cache", "api_client_for", "client_for", "world"]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def channel_settings_fresh() -> Iterator[None]:
    """Stored channel settings are cached per process: a test's rolled-back
    rows must not be seen by the next test."""
    from guanxi.messaging.channel_settings import channel_settings_forget

    channel_settings_forget()
    yield
    channel_settings_forget()


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpRecorder]:
    """A real SMTP server on 127.0.0.1 that ``GUANXI_EMAIL_URL`` points at;
    no quiet hours, so a test's clock does not decide."""
    with smtp_server() as (recorder, port):
        settings.GUANXI_EMAIL_URL = f"smtp://127.0.0.1:{port}"
        settings.GUANXI_EMAIL_FROM = "shop@example.com"
        settings.GUANXI_QUIET_HOURS = ""
        settings.GUANXI_MESSAGE_RETRY_BASE_SECONDS = 0
        yield recorder
