"""Fixtures of the needs tests: English, the access world's pages and a real
SMTP server for the close-the-loop messages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation
from tests.pages import _clean_cache, api_client_for, client_for, world

from guanxi.messaging.tests.servers import SmtpRecorder, smtp_server

__all__ = ["_clean_cache", "api_client_for", "client_for", "world"]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def channel_settings_fresh() -> Iterator[None]:
    from guanxi.messaging.channel_settings import channel_settings_forget

    channel_settings_forget()
    yield
    channel_settings_forget()


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpRecorder]:
    with smtp_server() as (recorder, port):
        settings.GUANXI_EMAIL_URL = f"smtp://127.0.0.1:{port}"
        settings.GUANXI_EMAIL_FROM = "shop@example.com"
        settings.GUANXI_QUIET_HOURS = ""
        settings.GUANXI_MESSAGE_RETRY_BASE_SECONDS = 0
        yield recorder
