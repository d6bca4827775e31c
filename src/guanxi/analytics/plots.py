"""PNG charts for analysts: calibration vs holdout, expected purchases, P(alive), cohorts.

Drawn with matplotlib's Agg canvas (no display, no pyplot state). Titles are
bilingual when a CJK font is installed ("WenQuanYi Zen Hei" from Debian's
``fonts-wqy-zenhei``); without one they are English only, so no glyph
warnings and no boxes.

matplotlib keeps the fonts it found in a cache file and does not look again,
so a font installed after that cache was built stays unknown to it (Chinese
then drew as boxes). :func:`cjk_font_available` therefore looks the font up by
file when matplotlib does not know it — fontconfig's list, then the path of
Debian's package — and adds it; that takes milliseconds, where rebuilding
matplotlib's whole list takes seconds.
"""

from __future__ import annotations

import functools
import logging
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, cast

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from guanxi.analytics._purchases import purchase_days
from guanxi.analytics.transactions import Transactions, as_transactions

__all__ = [
    "plot_cohort_retention",
    "plot_cumulative_purchases",
    "plot_expected_purchases_matrix",
    "plot_probability_alive_matrix",
    "plot_rfm_grid",
]

CJK_FONT = "WenQuanYi Zen Hei"
#: Where Debian's fonts-wqy-zenhei puts the font, if fontconfig cannot say.
CJK_FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",)


class PurchaseModel(Protocol):
    """What the plots need from a fitted BG/NBD or Pareto/NBD model."""

    def expected_purchases_new_customer(self, t: Any) -> Any: ...

    def expected_purchases(
        self, t: Any, frequency: Any, recency: Any, T: Any
    ) -> Any: ...

    def probability_alive(self, frequency: Any, recency: Any, T: Any) -> Any: ...


@functools.cache
def cjk_font_available() -> bool:
    """Whether matplotlib can draw with the CJK font, adding its file if needed."""
    with _quiet_fonts():
        if _font_known():
            return True
        for path in _font_files():
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
            if _font_known():
                return True
    return False


def _font_known() -> bool:
    try:
        font_manager.findfont(CJK_FONT, fallback_to_default=False)
    except ValueError:
        return False
    return True


def _font_files() -> list[str]:
    """The CJK font's files as fontconfig lists them, then Debian's path."""
    try:
        listed = subprocess.run(
            ["fc-list", "--format", "%{file}\n", f":family={CJK_FONT}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        listed = []
    files = [line for line in listed if line.strip()]
    files += [p for p in CJK_FONT_FILES if p not in files and Path(p).is_file()]
    return files


@contextmanager
def _quiet_fonts() -> Iterator[None]:
    """Keep matplotlib's font-matching chatter out of stderr.

    WenQuanYi Zen Hei has one weight (500), so matplotlib would log "Failed to
    find font weight normal" for it.
    """
    fonts_log = logging.getLogger("matplotlib.font_manager")
    level = fonts_log.level
    fonts_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        fonts_log.setLevel(level)


def _title(english: str, chinese: str) -> str:
    return f"{english} / {chinese}" if cjk_font_available() else english


def _figure(width: float = 8.0, height: float = 5.5) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


@contextmanager
def _style() -> Iterator[None]:
    """The CJK font when it is there, quietly."""
    settings: dict[str, Any] = {}
    if cjk_font_available():
        settings = {
            "font.sans-serif": [CJK_FONT, "DejaVu Sans"],
            "font.family": "sans-serif",
            "axes.unicode_minus": False,
        }
    with _quiet_fonts(), matplotlib.rc_context(cast(Any, settings)):
        yield


def _save(figure: Figure, path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        figure.savefig(target, format="png")
    return target


def plot_cumulative_purchases(
    transactions: pd.DataFrame | Transactions,
    model: PurchaseModel,
    path: str | Path,
    *,
    customer_col: str | None = None,
    datetime_col: str | None = None,
    calibration_end: Any,
    observation_end: Any,
    time_unit: str = "D",
) -> Path:
    """Actual vs model cumulative repeat purchases, calibration and holdout.

    Covers the customers whose first purchase is on or before the calibration
    end (the ones the model was fitted on). The model curve is
    ``Σ_customers E[X(t − first purchase)]`` from
    ``expected_purchases_new_customer``; time in the model's unit (days, or
    weeks = days / 7).
    """
    checked = as_transactions(
        transactions, customer_col=customer_col, datetime_col=datetime_col
    )
    daily, end, _ = purchase_days(checked, observation_end)
    calibration = pd.Timestamp(calibration_end).normalize()
    first = daily.groupby("customer")["day"].transform("min")
    daily = daily[first <= calibration]
    first = first[first <= calibration]
    start = pd.Timestamp(daily["day"].min())
    unit = 7.0 if time_unit == "W" else 1.0
    grid_days = np.arange((end - start).days + 1)
    repeat_days = (daily.loc[daily["day"] > first, "day"] - start).dt.days.to_numpy()
    actual = np.searchsorted(np.sort(repeat_days), grid_days, side="right")
    births = (first.groupby(daily["customer"]).first() - start).dt.days
    birth_days, born = np.unique(births.to_numpy(), return_counts=True)
    age = np.maximum(grid_days[:, None] - birth_days[None, :], 0) / unit
    curve = np.asarray(model.expected_purchases_new_customer(age.ravel()), dtype=float)
    expected = (curve.reshape(age.shape) * born[None, :]).sum(axis=1)
    x = grid_days / unit
    with _style():
        figure = _figure()
        axes = figure.add_subplot()
        axes.plot(x, actual, color="#1f4e79", label=_title("Actual", "实际"))
        axes.plot(
            x, expected, color="#c0504d", linestyle="--", label=_title("Model", "模型")
        )
        split = (calibration - start).days / unit
        axes.axvline(split, color="grey", linestyle=":")
        axes.annotate(
            _title("calibration end", "校准期结束"),
            (split, 0.02),
            xycoords=("data", "axes fraction"),
            rotation=90,
            ha="right",
            va="bottom",
            color="grey",
        )
        unit_name = _title("weeks", "周") if time_unit == "W" else _title("days", "天")
        axes.set_xlabel(
            f"{_title('Time since', '距')} {start.date().isoformat()} ({unit_name})"
        )
        axes.set_ylabel(_title("Cumulative repeat purchases", "累计复购次数"))
        axes.set_title(_title("Calibration vs holdout", "校准期与验证期"))
        axes.legend(loc="upper left")
        return _save(figure, path)


def _matrix(values: np.ndarray, path: str | Path, title: str, bar: str) -> Path:
    with _style():
        figure = _figure(7.5, 6.0)
        axes = figure.add_subplot()
        image = axes.imshow(values, aspect="auto", origin="lower", cmap="viridis")
        figure.colorbar(image, ax=axes, label=bar)
        axes.set_xlabel(
            _title("Recency (first to last purchase)", "最近一次购买距首购")
        )
        axes.set_ylabel(_title("Frequency (repeat purchases)", "复购次数"))
        axes.set_title(title)
        return _save(figure, path)


def _grid(summary: pd.DataFrame, max_frequency: int | None) -> tuple[np.ndarray, ...]:
    T = float(summary["T"].max())
    top = int(summary["frequency"].max()) if max_frequency is None else max_frequency
    frequency = np.arange(top + 1, dtype=float)
    recency = np.arange(int(np.floor(T)) + 1, dtype=float)
    f, r = np.meshgrid(frequency, recency, indexing="ij")
    return f, r, np.full_like(f, T)


def _impossible(f: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Recency is 0 exactly when there is no repeat purchase."""
    mask: np.ndarray = (f > 0) == (r == 0)
    return mask


def plot_expected_purchases_matrix(
    model: PurchaseModel,
    summary: pd.DataFrame,
    path: str | Path,
    *,
    t: float,
    max_frequency: int | None = None,
) -> Path:
    """Heat map: expected purchases in the next ``t`` by frequency × recency.

    Customers are placed at the longest ``T`` in the summary; impossible cells
    (repeat purchases with recency 0, or recency without any) are left blank.
    """
    f, r, T = _grid(summary, max_frequency)
    values = np.asarray(
        model.expected_purchases(t, f.ravel(), r.ravel(), T.ravel()), dtype=float
    ).reshape(f.shape)
    values[_impossible(f, r)] = np.nan
    return _matrix(
        values,
        path,
        _title(f"Expected purchases in the next {t:g}", f"未来 {t:g} 期预期购买次数"),
        _title("purchases", "次数"),
    )


def plot_probability_alive_matrix(
    model: PurchaseModel,
    summary: pd.DataFrame,
    path: str | Path,
    *,
    max_frequency: int | None = None,
) -> Path:
    """Heat map: probability a customer is still active, by frequency × recency."""
    f, r, T = _grid(summary, max_frequency)
    values = np.asarray(
        model.probability_alive(f.ravel(), r.ravel(), T.ravel()), dtype=float
    ).reshape(f.shape)
    values[_impossible(f, r)] = np.nan
    return _matrix(
        values,
        path,
        _title("Probability still active", "仍活跃概率 P(alive)"),
        "P(alive)",
    )


def plot_cohort_retention(rates: pd.DataFrame, path: str | Path) -> Path:
    """Heat map of a :func:`retention_table` with ``rates=True`` (percent in cells)."""
    values = rates.to_numpy(dtype=float, na_value=np.nan)
    rows, columns = values.shape
    with _style():
        figure = _figure(max(6.0, 0.45 * columns + 2.5), max(4.0, 0.35 * rows + 1.8))
        axes = figure.add_subplot()
        image = axes.imshow(values, aspect="auto", cmap="Blues", vmin=0.0, vmax=1.0)
        figure.colorbar(image, ax=axes, label=_title("retention", "留存率"))
        axes.set_yticks(range(rows), [str(c) for c in rates.index])
        axes.set_xticks(range(columns), [str(c) for c in rates.columns])
        if rows * columns <= 400:
            for (i, j), value in np.ndenumerate(values):
                if not np.isnan(value):
                    colour = "white" if value > 0.6 else "black"
                    axes.text(
                        j,
                        i,
                        f"{value:.0%}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color=colour,
                    )
        axes.set_xlabel(_title("Months since first purchase", "首购后月数"))
        axes.set_ylabel(_title("Acquisition cohort (month)", "获客月份"))
        axes.set_title(_title("Cohort retention", "同期群留存"))
        return _save(figure, path)


def plot_rfm_grid(scores: pd.DataFrame, path: str | Path) -> Path:
    """Customers per R × FM cell of :meth:`RFMScorer.transform`, with segment names."""
    from guanxi.analytics.rfm import SEGMENT_LABELS_EN, SEGMENT_LABELS_ZH, SEGMENT_MAP

    counts = np.zeros((5, 5))
    r = scores["r_score"].to_numpy(dtype=np.int64) - 1
    fm = scores["fm_score"].to_numpy(dtype=np.int64) - 1
    np.add.at(counts, (r, fm), 1.0)
    with _style():
        figure = _figure(8.0, 6.5)
        axes = figure.add_subplot()
        image = axes.imshow(counts, origin="lower", cmap="Oranges")
        figure.colorbar(image, ax=axes, label=_title("customers", "客户数"))
        for (i, j), n in np.ndenumerate(counts):
            key = SEGMENT_MAP[(i + 1, j + 1)]
            name = SEGMENT_LABELS_EN[key]
            if cjk_font_available():
                name = f"{name}\n{SEGMENT_LABELS_ZH[key]}"
            colour = "white" if n > counts.max() * 0.6 else "black"
            axes.text(
                j,
                i,
                f"{name}\n{int(n)}",
                ha="center",
                va="center",
                fontsize=7,
                color=colour,
            )
        axes.set_xticks(range(5), [str(v) for v in range(1, 6)])
        axes.set_yticks(range(5), [str(v) for v in range(1, 6)])
        axes.set_xlabel(
            _title("FM score (frequency and monetary)", "FM 评分（频次与金额）")
        )
        axes.set_ylabel(_title("R score (recency)", "R 评分（最近购买）"))
        axes.set_title(_title("RFM segments", "RFM 客户分群"))
        return _save(figure, path)
