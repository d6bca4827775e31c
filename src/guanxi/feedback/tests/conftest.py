"""Fixtures of the feedback tests: the page fixtures of the access world and
a real SMTP server for the staff e-mails and progress notices."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.pages import _clean_cache, client_for, world

from guanxi.messaging.tests.servers import SmtpRecorder, smtp_server

__all__ = ["_clean_cache", "client_for", "world"]


@pytest.fixture(autouse=True)
def channel_settings_fresh() -> Iterator[None]:
    from guanxi.messaging.channel_settings import channel_settings_forget

    channel_settings_forget()
    yield
    channel_settings_forget()


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Any) -> Any:
    """Attachments are written under the data folder: the test's own."""
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpRecorder]:
    with smtp_server() as (recorder, port):
        settings.GUANXI_EMAIL_URL = f"smtp://127.0.0.1:{port}"
        settings.GUANXI_EMAIL_FROM = "shop@example.com"
        settings.GUANXI_QUIET_HOURS = ""
        settings.GUANXI_MESSAGE_RETRY_BASE_SECONDS = 0
        yield recorder
