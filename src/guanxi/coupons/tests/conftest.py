"""Fixtures for the page tests (see ``tests/pages.py``)."""

from tests.pages import _clean_cache, client_for, world

__all__ = ["_clean_cache", "client_for", "world"]
