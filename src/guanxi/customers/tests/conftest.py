"""Fixtures for the page tests (see ``tests/pages.py``), and Huey running
tasks where they are queued."""

from collections.abc import Iterator
from typing import Any

import pytest
from tests.pages import _clean_cache, api_client_for, client_for, crowded_world, world

__all__ = [
    "_clean_cache",
    "api_client_for",
    "client_for",
    "crowded_world",
    "huey_immediate",
    "world",
]


@pytest.fixture
def huey_immediate() -> Iterator[Any]:
    """Tasks run where they are queued (after commit), as the worker would."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = was
