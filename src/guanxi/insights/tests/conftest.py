"""Fixtures for the page tests (see ``tests/pages.py``)."""

from tests.pages import _clean_cache, api_client_for, client_for, crowded_world, world

__all__ = ["_clean_cache", "api_client_for", "client_for", "crowded_world", "world"]
