"""Fixtures of the tests that send messages, shared by the apps' conftests
(``from tests.outbox import channel_settings_fresh, english, smtp``): a real
SMTP server on 127.0.0.1, stored channel settings forgotten between tests,
English as the language the tests assert, and customers' consent
(:func:`consent_set`, the ``subscribed_customer`` fixture)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.utils import translation

from guanxi.messaging.tests.servers import SmtpRecorder, smtp_server

__all__ = [
    "channel_settings_fresh",
    "consent_set",
    "english",
    "smtp",
    "smtp_set_up",
    "subscribed_customer",
]


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


@contextmanager
def smtp_set_up(settings: Any) -> Iterator[SmtpRecorder]:
    """A real SMTP server on 127.0.0.1 that ``GUANXI_EMAIL_URL`` points at;
    no quiet hours, so a test's clock does not decide, and retries at once."""
    with smtp_server() as (recorder, port):
        settings.GUANXI_EMAIL_URL = f"smtp://127.0.0.1:{port}"
        settings.GUANXI_EMAIL_FROM = "shop@example.com"
        settings.GUANXI_QUIET_HOURS = ""
        settings.GUANXI_MESSAGE_RETRY_BASE_SECONDS = 0
        yield recorder


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpRecorder]:
    """:func:`smtp_set_up` for one test."""
    with smtp_set_up(settings) as recorder:
        yield recorder


def consent_set(
    customer: Any,
    *,
    purpose: str = "marketing",
    channel: str = "email",
    granted: bool = True,
    source: str = "form",
    notice_version: str = "v1",
    **more: Any,
) -> Any:
    """Record the customer's statement of consent (by default: yes to
    marketing e-mail, on a form, notice v1) through the messaging service;
    ``more`` goes to it as given (``at``, ``evidence``). The record."""
    from guanxi.messaging.services import consent_record

    return consent_record(
        customer=customer,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source=source,
        notice_version=notice_version,
        **more,
    )


@pytest.fixture
def subscribed_customer(make_customer: Any) -> Callable[..., Any]:
    """Makes a customer (``make_customer``'s fields) who agreed to marketing
    e-mail."""

    def make(**fields: Any) -> Any:
        customer = make_customer(**fields)
        consent_set(customer)
        return customer

    return make
