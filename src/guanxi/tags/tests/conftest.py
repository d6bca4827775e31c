"""Fixtures for the tags app's tests: the page fixtures (``tests/pages.py``),
and service messages asserted in English (the source language) unless a test
switches."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation
from tests.pages import _clean_cache, api_client_for, client_for, crowded_world, world

__all__ = [
    "_clean_cache",
    "api_client_for",
    "client_for",
    "crowded_world",
    "english",
    "world",
]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield
