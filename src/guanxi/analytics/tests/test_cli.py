"""``guanxi analyze`` on CDNOW: the models against the literature, the
holdout, the written table and plots, free items."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import special

from guanxi.analytics.cli import main
from guanxi.analytics.tests import cdnow
from guanxi.analytics.tests.cli_runs import CDNOW_SPLIT, assert_png, run, run_json


@pytest.fixture(scope="module")
def cdnow_raw() -> pd.DataFrame:
    return cdnow.sample()


@pytest.fixture(scope="module")
def cdnow_csv(
    cdnow_raw: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    cdnow_raw.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def cdnow_clv(
    cdnow_csv: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], pd.DataFrame, Path]:
    """One BG/NBD + Gamma-Gamma run with --out and --plots, shared by the tests."""
    folder = tmp_path_factory.mktemp("clv")
    out = folder / "customers.csv"
    plots = folder / "plots"
    argv = ["clv", str(cdnow_csv), *CDNOW_SPLIT, "--amount-col", "amount"]
    argv += ["--out", str(out), "--plots", str(plots), "--json"]
    completed = _in_process(argv)
    return json.loads(completed), pd.read_csv(out, dtype={"customer_id": str}), plots


def _in_process(argv: list[str]) -> str:
    import contextlib
    import io

    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(argv)
    assert code == 0
    return stdout.getvalue()


def test_cdnow_bgnbd_and_gamma_gamma_match_the_literature(
    cdnow_clv: tuple[dict[str, Any], pd.DataFrame, Path],
) -> None:
    result, _, _ = cdnow_clv
    bgnbd = result["bgnbd"]
    # Fader, Hardie & Lee (2005): r 0.2426, α 4.4136, a 0.7929, b 2.4259, LL −9582.43.
    assert {k: round(v, 4) for k, v in bgnbd["params"].items()} == {
        "r": 0.2426,
        "alpha": 4.4136,
        "a": 0.7929,
        "b": 2.4259,
    }
    assert round(bgnbd["log_likelihood"], 2) == -9582.43
    gamma = result["gamma_gamma"]
    assert {k: round(v, 2) for k, v in gamma["params"].items()} == {
        "p": 6.25,
        "q": 3.74,
        "v": 15.44,
    }
    assert set(result) == {
        "customers",
        "time_unit",
        "observation_end",
        "calibration_end",
        "bgnbd",
        "gamma_gamma",
        "horizon_months",
        "expected_purchases",
        "clv",
        "holdout",
        "warnings",
    }
    # The sample has no free items: nobody is left out of the spend model.
    assert result["gamma_gamma"]["customers"] == 946
    assert result["gamma_gamma"]["left_out"] == {
        "no_repeat_purchase": 1411,
        "mean_spend_not_positive": 0,
    }
    assert result["warnings"] == []
    assert result["customers"] == 2357
    assert result["time_unit"] == "W"
    assert result["horizon_months"] == 12


def _bgnbd_conditional(
    params: dict[str, float], t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Fader, Hardie & Lee (2005) eq. 10, written out independently of the model."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    head = (a + b + x - 1) / (a - 1)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    body = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
    alive = 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    result: np.ndarray = head * body / alive
    return result


def test_cdnow_holdout_predicted_and_actual(
    cdnow_clv: tuple[dict[str, Any], pd.DataFrame, Path], cdnow_raw: pd.DataFrame
) -> None:
    result, _, _ = cdnow_clv
    holdout = result["holdout"]
    assert holdout["duration"] == 39.0
    assert holdout["actual_purchases"] == 1882  # README: 1,882 in the holdout
    # The summary by hand: purchase days per customer, calibration to 30 Sep 1997.
    days = pd.to_datetime(cdnow_raw["date"], format="%Y%m%d")
    daily = pd.DataFrame({"c": cdnow_raw["customer"], "d": days}).drop_duplicates()
    calibration = daily[daily["d"] <= "1997-09-30"].groupby("c")["d"]
    first, last = calibration.min(), calibration.max()
    x = (calibration.size() - 1).to_numpy(float)
    t_x = ((last - first).dt.days / 7).to_numpy()
    T = ((pd.Timestamp("1997-09-30") - first).dt.days / 7).to_numpy()
    expected = _bgnbd_conditional(result["bgnbd"]["params"], 39.0, x, t_x, T).sum()
    assert holdout["predicted_purchases"] == pytest.approx(expected, rel=1e-9)


def test_cdnow_out_has_one_row_per_customer(
    cdnow_clv: tuple[dict[str, Any], pd.DataFrame, Path],
) -> None:
    _, table, _ = cdnow_clv
    assert list(table.columns) == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "expected_purchases",
        "probability_alive",
        "expected_average_value",
        "clv",
        "frequency_holdout",
        "expected_purchases_holdout",
        "r_score",
        "f_score",
        "m_score",
        "fm_score",
        "rfm_cell",
        "segment",
        "segment_zh",
    ]
    assert len(table) == 2357
    assert table["customer_id"].is_unique
    # README totals: 2,457 repeat purchases, 946 repeat buyers, 1,882 in the holdout.
    assert table["frequency"].sum() == 2457
    assert (table["frequency"] > 0).sum() == 946
    assert table["frequency_holdout"].sum() == 1882
    first = table.set_index("customer_id").loc["00004"]
    # Hardie's note 004: x = 2, t_x = 30.43, T = 38.86 → 1.226 in the next 39 weeks.
    assert [round(first["recency"], 2), round(first["T"], 2)] == [30.43, 38.86]
    assert round(first["expected_purchases_holdout"], 3) == 1.226
    assert table["probability_alive"].between(0, 1).all()
    assert (table["clv"] > 0).all()
    assert set(table["segment"]) <= {
        "champions",
        "loyal",
        "potential_loyalists",
        "new",
        "at_risk",
        "cant_lose",
        "hibernating",
        "lost",
    }
    assert table["r_score"].between(1, 5).all()


def test_cdnow_plots_are_png_files(
    cdnow_clv: tuple[dict[str, Any], pd.DataFrame, Path],
) -> None:
    _, _, plots = cdnow_clv
    names = sorted(p.name for p in plots.iterdir())
    assert names == [
        "calibration_holdout.png",
        "expected_purchases.png",
        "probability_alive.png",
    ]
    for name in names:
        assert_png(plots / name)


def test_cdnow_pareto_nbd_log_likelihood(
    capsys: pytest.CaptureFixture[str], cdnow_csv: Path
) -> None:
    result = run_json(capsys, "clv", cdnow_csv, *CDNOW_SPLIT, "--model", "pnbd")
    assert round(result["pnbd"]["log_likelihood"], 2) == -9594.98
    assert set(result["pnbd"]["params"]) == {"r", "alpha", "s", "beta"}
    # No amount column: no Gamma-Gamma, no CLV.
    assert "gamma_gamma" not in result
    assert "bgnbd" not in result
    assert result["clv"] is None


def test_cdnow_free_items_do_not_stop_clv(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The full file: 80 purchases worth 0.00 (free items). Customer 10244's
    # only repeat purchase by 30 September 1997 is one (line 31717).
    path = cdnow.master_csv(tmp_path)
    assert path.read_text().splitlines()[31716] == "10244,19970307,1,0.0"
    out = tmp_path / "customers.csv"
    argv: list[str | Path] = [*CDNOW_SPLIT, "--amount-col", "amount", "--out", out]
    code, stdout, stderr = run(capsys, "clv", path, *argv, "--json")
    assert code == 0
    result = json.loads(stdout)
    full = cdnow.master()
    days = pd.to_datetime(full["date"], format="%Y%m%d")
    known = full[days <= pd.Timestamp("1997-09-30")].assign(day=days)
    daily = known.groupby(["customer", "day"])["amount"].sum().reset_index()
    first = daily.groupby("customer")["day"].transform("min")
    repeat = daily[daily["day"] > first].groupby("customer")["amount"].mean()
    assert result["customers"] == 23_570
    assert result["gamma_gamma"]["customers"] == int((repeat > 0).sum())
    assert result["gamma_gamma"]["left_out"] == {
        "no_repeat_purchase": 23_570 - len(repeat),
        "mean_spend_not_positive": 1,
    }
    assert repeat[repeat <= 0].index.tolist() == ["10244"]
    english = (
        "1 repeat buyer with a mean repeat spend of 0 or less (free items, refunds) "
        "left out of the spend model (Gamma-Gamma) and valued at zero spend per "
        "purchase: customer 10244 (line 31717)"
    )
    chinese = (
        "1 位复购客户的平均复购金额不大于 0（赠品、退款），未纳入消费金额模型"
        "（Gamma-Gamma），按每次购买零消费估值：客户 10244（第 31717 行）"
    )
    assert stderr == f"warning: {english}\n警告：{chinese}\n"
    assert result["warnings"] == [{"message_en": english, "message_zh": chinese}]
    table = pd.read_csv(out, dtype={"customer_id": str}).set_index("customer_id")
    assert table["clv"].notna().all()
    p, q, v = result["gamma_gamma"]["params"].values()
    free = table.loc["10244"]
    # Valued at zero spend per purchase: p v / (p x + q - 1).
    assert free["expected_average_value"] == pytest.approx(
        p * v / (p * free["frequency"] + q - 1)
    )
