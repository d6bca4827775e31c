"""Fixtures of the surveys tests: English, a real SMTP server, customers
with an e-mail address."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation
from tests.pages import _clean_cache, api_client_for, client_for, world

from guanxi.messaging.tests.servers import SmtpRecorder, smtp_server

__all__ = ["_clean_cache", "api_client_for", "client_for", "world"]

_emails = itertools.count(1)


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
        settings.GUANXI_PUBLIC_URL = "http://testserver"
        yield recorder


@pytest.fixture
def customer_with_email(make_customer: Any) -> Any:
    def make(**values: Any) -> Any:
        values.setdefault("email", f"c{next(_emails)}@example.com")
        return make_customer(**values)

    return make
