"""Fixtures of the feedback tests: the page fixtures of the access world and
a real SMTP server for the staff e-mails and progress notices."""

from __future__ import annotations

from typing import Any

import pytest
from tests.outbox import channel_settings_fresh, smtp
from tests.pages import _clean_cache, client_for, world

__all__ = ["_clean_cache", "channel_settings_fresh", "client_for", "smtp", "world"]


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Any) -> Any:
    """Attachments are written under the data folder: the test's own."""
    settings.DATA_DIR = tmp_path
    return tmp_path
