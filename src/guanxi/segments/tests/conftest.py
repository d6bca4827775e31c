"""Fixtures for the segment tests (see ``tests/pages.py``)."""

import pytest
from django.utils import translation
from tests.pages import _clean_cache, api_client_for, client_for, crowded_world, world

__all__ = ["_clean_cache", "api_client_for", "client_for", "crowded_world", "world"]


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    """Messages in English unless a test says otherwise (the default is Chinese)."""
    with translation.override("en"):
        yield
