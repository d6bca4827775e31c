"""Fixtures of the analytics tests: the hand-made orders file of the
``guanxi analyze`` tests as CSV and as Parquet."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from guanxi.analytics.tests.cli_runs import HAND


@pytest.fixture
def hand_csv(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(HAND, encoding="utf-8")
    return path


@pytest.fixture
def hand_parquet(tmp_path: Path) -> Path:
    frame = pd.read_csv(io.StringIO(HAND), dtype={"customer": str})
    frame["date"] = pd.to_datetime(frame["date"])
    path = tmp_path / "orders.parquet"
    frame.to_parquet(path)
    return path
