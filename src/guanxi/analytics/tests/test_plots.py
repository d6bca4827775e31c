"""Plots: bilingual titles with the CJK font, English and quiet without it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
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


# In a fresh process: is the CJK font found, and does a Chinese title draw
# without a missing-glyph warning (the boxes)?
_DRAW_CHINESE = """
import warnings
from matplotlib import font_manager
from guanxi.analytics import plots
print(plots.cjk_font_available())
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with plots._style():
        figure = plots._figure()
        figure.suptitle("同期群留存")
        figure.canvas.draw()
print(sorted({str(w.message)[:40] for w in caught}))
try:
    print(font_manager.findfont(plots.CJK_FONT, fallback_to_default=False))
except ValueError:
    print("not found")
"""


@pytest.mark.parametrize("fontconfig", [True, False])
def test_cjk_font_installed_after_matplotlib_built_its_font_cache(
    tmp_path: Path, fontconfig: bool
) -> None:
    # matplotlib builds its font cache in a fresh MPLCONFIGDIR the way it does
    # on a machine without the CJK font: here by ignoring the system fonts.
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path)}
    subprocess.run(
        [sys.executable, "-c", "import matplotlib.font_manager"],
        env={**env, "MPL_IGNORE_SYSTEM_FONTS": "1"},
        check=True,
        timeout=120,
    )
    cache = next(tmp_path.glob("fontlist-*.json"))
    assert "wqy" not in cache.read_text().lower()
    # Then the font is "installed" (it is there again for the next process),
    # and the stale cache must not hide it: found through fontconfig, or
    # without fc-list on the PATH at Debian's path.
    if not fontconfig:
        env["PATH"] = str(tmp_path)
    drawn = subprocess.run(
        [sys.executable, "-c", _DRAW_CHINESE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    available, warned, path = drawn.stdout.splitlines()
    assert (available, warned) == ("True", "[]")
    assert Path(path).name == "wqy-zenhei.ttc"
