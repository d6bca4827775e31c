"""Plots: bilingual titles with the CJK font, English and quiet without it."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

from guanxi.analytics import plots
from guanxi.analytics.cohorts import retention_table


@pytest.fixture
def rates() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer": ["a", "a", "b", "c", "c"],
            "date": pd.to_datetime(
                ["2024-01-03", "2024-02-04", "2024-01-20", "2024-02-02", "2024-03-09"]
            ),
        }
    )
    return retention_table(
        frame, customer_col="customer", datetime_col="date", rates=True
    )


@pytest.fixture
def fresh_font_check() -> Iterator[None]:
    plots.cjk_font_available.cache_clear()
    yield
    plots.cjk_font_available.cache_clear()


def draw(rates: pd.DataFrame, path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG):
        warnings.simplefilter("always")
        plots.plot_cohort_retention(rates, path)
    assert [str(w.message) for w in caught] == []
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == []
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.imread(path).shape[:2] >= (300, 400)


def test_titles_are_bilingual_with_the_cjk_font(
    rates: pd.DataFrame,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    fresh_font_check: None,
) -> None:
    # Debian's fonts-wqy-zenhei is installed by scripts/test on every machine.
    assert plots.cjk_font_available()
    assert (
        plots._title("Cohort retention", "同期群留存")
        == "Cohort retention / 同期群留存"
    )
    draw(rates, tmp_path / "zh.png", caplog)


def test_without_a_cjk_font_titles_are_english_and_quiet(
    rates: pd.DataFrame,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    fresh_font_check: None,
) -> None:
    monkeypatch.setattr(plots, "CJK_FONT", "No Such Font Family")
    assert not plots.cjk_font_available()
    assert plots._title("Cohort retention", "同期群留存") == "Cohort retention"
    draw(rates, tmp_path / "en.png", caplog)


def test_retention_heat_map_leaves_unobserved_cells_blank(
    rates: pd.DataFrame, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # January cohort: a and b, a back in February; February cohort: c, back in March.
    assert rates.to_numpy(dtype=float, na_value=np.nan).tolist()[0] == [1.0, 0.5, 0.0]
    assert np.isnan(rates.to_numpy(dtype=float, na_value=np.nan)[1, 2])
    draw(rates, tmp_path / "rates.png", caplog)
