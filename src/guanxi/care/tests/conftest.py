"""Fixtures of the care tests: ``reads``, the two ways of writing what a
warning evaluation finds."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["set_based", "row_by_row"])
def reads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of writing what an evaluation finds: set-based (the daily
    evaluation) and row by row (as events and survey answers are written)."""
    from guanxi.care.tests.reference import row_by_row

    if request.param == "row_by_row":
        row_by_row(monkeypatch)
    return str(request.param)
