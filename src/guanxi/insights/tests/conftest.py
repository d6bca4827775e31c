"""Demo customers with orders and interactions up to a fixed moment."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from tests.pages import _clean_cache, api_client_for, client_for, crowded_world, world

__all__ = ["_clean_cache", "api_client_for", "client_for", "crowded_world", "world"]

#: The demo data ends here; scoring runs are as of this day or before.
END = dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC)
AS_OF = dt.date(2026, 11, 30)


@pytest.fixture
def demo_data(transactional_db: Any, users: dict[str, Any]) -> dict[str, Any]:
    """300 demo customers (seed 4), the account managers among their managers."""
    from guanxi.demo.services import demo_fill

    managers = [users["account_manager"].pk, users["other_manager"].pk]
    result = demo_fill(
        customers=300, seed=4, end=END, managers=managers, progress=False
    )
    return {"result": result, "users": users}


@pytest.fixture
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """``timezone.localdate()`` is the day after the demo data ends."""
    today = AS_OF + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today)
    return today


@pytest.fixture
def huey_immediate() -> Any:
    """Tasks run at once, in the test's process (Huey's immediate mode)."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = was
