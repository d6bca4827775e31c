"""``guanxi analyze``: CDNOW against the literature, hand-made files, bad input."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib import image
from scipy import special

from guanxi.analytics.cli import main
from guanxi.analytics.tests import cdnow

REPO = Path(__file__).resolve().parents[4]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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


CDNOW_SPLIT = [
    "--customer-col",
    "customer",
    "--date-col",
    "date",
    "--date-format",
    "%Y%m%d",
    "--calibration-end",
    "1997-09-30",
    "--observation-end",
    "1998-06-30",
    "--time-unit",
    "W",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> dict[str, Any]:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


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


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = image.imread(path)
    assert pixels.shape[0] >= 300
    assert pixels.shape[1] >= 400
    # Something was drawn: not one flat colour.
    assert float(pixels[..., :3].std()) > 0.05


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


HAND = "customer,date,amount\n007,2024-01-05,10\n007,2024-03-30,20\n008,2024-02-01,5\n"
HAND += "009,2024-03-31,100\n009,2024-03-31,50\n"
HAND_COLUMNS = ["--customer-col", "customer", "--date-col", "date"]


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


def test_rfm_by_hand_from_csv(
    capsys: pytest.CaptureFixture[str], hand_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "rfm.csv"
    code, stdout, _ = run(
        capsys, "rfm", hand_csv, *HAND_COLUMNS, "--amount-col", "amount", "--out", out
    )
    assert code == 0
    assert "At risk / 流失风险" in stdout
    table = pd.read_csv(out, dtype={"customer_id": str}).set_index("customer_id")
    # Ending 31 March: 007 bought 1 day ago (2 days, 30 spent), 008 59 days ago
    # (once, 5), 009 today (one day, 150). Three customers: k worse → 1 + 5k // 3.
    assert table.index.tolist() == ["007", "008", "009"]
    assert table["recency_days"].tolist() == [1, 59, 0]
    assert table["frequency"].tolist() == [2, 1, 1]
    assert table["monetary"].tolist() == [30.0, 5.0, 150.0]
    assert table["r_score"].tolist() == [2, 1, 4]
    assert table["f_score"].tolist() == [4, 1, 1]
    assert table["m_score"].tolist() == [2, 1, 4]
    assert table["fm_score"].tolist() == [3, 1, 3]
    assert table["segment"].tolist() == ["at_risk", "lost", "potential_loyalists"]
    assert table["segment_zh"].tolist() == ["流失风险", "已流失", "潜力客户"]


def test_rfm_json_from_parquet(
    capsys: pytest.CaptureFixture[str], hand_parquet: Path, tmp_path: Path
) -> None:
    result = run_json(
        capsys, "rfm", hand_parquet, *HAND_COLUMNS, "--amount-col", "amount"
    )
    assert result["customers"] == 3
    assert result["observation_end"] == "2024-03-31"
    counts = {k: v["customers"] for k, v in result["segments"].items()}
    assert counts == {
        "champions": 0,
        "loyal": 0,
        "potential_loyalists": 1,
        "new": 0,
        "at_risk": 1,
        "cant_lose": 0,
        "hibernating": 0,
        "lost": 1,
    }
    assert result["segments"]["lost"]["name_zh"] == "已流失"
    # Frequency edges: scores ≥ 2 … 5 need more than 1, 1, 1, 2 purchase days.
    assert result["edges"]["frequency"] == [1.0, 1.0, 1.0, 2.0]


def test_rfm_plot(
    capsys: pytest.CaptureFixture[str], hand_csv: Path, tmp_path: Path
) -> None:
    code, _, _ = run(capsys, "rfm", hand_csv, *HAND_COLUMNS, "--plots", tmp_path / "p")
    assert code == 0
    assert_png(tmp_path / "p" / "rfm_segments.png")


def test_cohorts_by_hand(
    capsys: pytest.CaptureFixture[str], hand_csv: Path, tmp_path: Path
) -> None:
    result = run_json(
        capsys,
        "cohorts",
        hand_csv,
        *HAND_COLUMNS,
        "--amount-col",
        "amount",
        "--plots",
        tmp_path / "p",
    )
    assert result["observation_end"] == "2024-03-31"
    assert result["cohorts"] == [
        {
            "cohort": "2024-01",
            "customers": 1,
            "repeat_customers": 1,
            "repurchase_rate": 1.0,
            "active": [1, 0, 1],
            "retention": [1.0, 0.0, 1.0],
            "revenue": [10.0, 0.0, 20.0],
        },
        {
            "cohort": "2024-02",
            "customers": 1,
            "repeat_customers": 0,
            "repurchase_rate": 0.0,
            "active": [1, 0],
            "retention": [1.0, 0.0],
            "revenue": [5.0, 0.0],
        },
        {
            # Two orders on one day are one purchase: no repeat.
            "cohort": "2024-03",
            "customers": 1,
            "repeat_customers": 0,
            "repurchase_rate": 0.0,
            "active": [1],
            "retention": [1.0],
            "revenue": [150.0],
        },
    ]
    assert_png(tmp_path / "p" / "cohort_retention.png")


def test_cohorts_out_is_long_parquet(
    capsys: pytest.CaptureFixture[str], hand_parquet: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cohorts.parquet"
    code, stdout, _ = run(capsys, "cohorts", hand_parquet, *HAND_COLUMNS, "--out", out)
    assert code == 0
    assert "2024-01" in stdout
    table = pd.read_parquet(out)
    assert list(table.columns) == [
        "cohort",
        "months_since_first",
        "customers",
        "retention_rate",
    ]
    assert table["cohort"].tolist() == ["2024-01"] * 3 + ["2024-02"] * 2 + ["2024-03"]
    assert table["months_since_first"].tolist() == [0, 1, 2, 0, 1, 0]
    assert table["customers"].tolist() == [1, 0, 1, 1, 0, 1]


def bad(tmp_path: Path, text: str, name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["clv", "{missing}", *HAND_COLUMNS], "file not found: {missing}"),
        (
            ["clv", "{xlsx}", *HAND_COLUMNS],
            "unsupported file type '.xlsx' (use .csv or .parquet)",
        ),
        (
            ["clv", "{good}", *HAND_COLUMNS, "--amount-col", "price"],
            "column 'price' is missing (the file has: customer, date, amount)",
        ),
        (
            ["rfm", "{good}", *HAND_COLUMNS, "--date-format", "%d/%m/%Y"],
            "column 'date', line 2: missing or unparsable date (2024-01-05) "
            "for format %d/%m/%Y",
        ),
        (
            ["cohorts", "{bad_date}", *HAND_COLUMNS],
            "column 'date', line 3: missing or unparsable date (yesterday)",
        ),
        (
            ["cohorts", "{empty_date}", *HAND_COLUMNS],
            "column 'date', line 3: missing or unparsable date (empty)",
        ),
        (
            ["clv", "{blank_lines}", *HAND_COLUMNS, "--amount-col", "amount"],
            "column 'amount', line 8: missing amount (x)",
        ),
        (
            ["rfm", "{good}", *HAND_COLUMNS, "--observation-end", "2024-03-01"],
            "column 'date', line 3: purchase after the observation end (2024-03-30)",
        ),
        (
            ["clv", "{good}", *HAND_COLUMNS, "--observation-end", "June"],
            "--observation-end: cannot read 'June' as a date (use YYYY-MM-DD)",
        ),
        (
            ["clv", "{good}", *HAND_COLUMNS, "--calibration-end", "2024-04-01"],
            "--calibration-end: 2024-04-01 is not before the observation end "
            "(2024-03-31)",
        ),
        (
            ["cohorts", "{good}", *HAND_COLUMNS, "--calibration-end", "2024-02-01"],
            "unrecognized arguments: --calibration-end 2024-02-01",
        ),
        (
            ["rfm", "{good}", *HAND_COLUMNS, "--calibration-end", "2024-02-01"],
            "unrecognized arguments: --calibration-end 2024-02-01",
        ),
        (
            ["clv", "{good}", *HAND_COLUMNS, "--time-unit", "M"],
            "argument --time-unit: invalid choice: 'M' (choose from 'D', 'W')",
        ),
        (
            ["clv", "{good}", *HAND_COLUMNS, "--model", "bgbb"],
            "argument --model: invalid choice: 'bgbb' (choose from 'bgnbd', 'pnbd')",
        ),
        (
            ["clv", "{good}", *HAND_COLUMNS, "--horizon", "0"],
            "argument --horizon: must be at least 1: '0'",
        ),
        (
            ["clv", "{good}", *HAND_COLUMNS, "--horizon", "a year"],
            "argument --horizon: not a whole number: 'a year'",
        ),
        (
            ["clv", "{good}", *HAND_COLUMNS, "--horizon-months", "0"],
            "argument --horizon-months: must be at least 1: '0'",
        ),
        (
            ["churn", "{good}", *HAND_COLUMNS, "--horizon-days", "-3"],
            "argument --horizon-days: must be at least 1: '-3'",
        ),
        (
            ["clv", "{good}", *HAND_COLUMNS, "--horizon-months", "3", "--horizon", "3"],
            "argument --horizon: not allowed with argument --horizon-months",
        ),
        (
            ["clv", "{good}", *HAND_COLUMNS, "--horizon-days", "30"],
            "unrecognized arguments: --horizon-days 30",
        ),
        (
            ["churn", "{good}", *HAND_COLUMNS, "--plots", "{tmp}/p"],
            "unrecognized arguments: --plots {tmp}/p",
        ),
        (
            ["segment", "{good}", *HAND_COLUMNS],
            "argument rfm|clv|churn|cohorts|sentiment: invalid choice: 'segment' "
            "(choose from 'rfm', 'clv', 'churn', 'cohorts', 'sentiment')",
        ),
        (
            ["rfm", "{good}", "--date-col", "date"],
            "the following arguments are required: --customer-col",
        ),
        (
            [],
            "the following arguments are required: rfm|clv|churn|cohorts|sentiment",
        ),
        (
            ["rfm", "{good}", *HAND_COLUMNS, "--out", "{tmp}/result.xlsx"],
            "--out: unsupported file type '.xlsx' (use .csv or .parquet)",
        ),
        (
            ["rfm", "{good}", *HAND_COLUMNS, "--out", "{tmp}/nowhere/result.csv"],
            "--out: folder does not exist: {tmp}/nowhere",
        ),
        (["rfm", "{empty}", *HAND_COLUMNS], "cannot read {empty}: the file is empty"),
        (["rfm", "{header_only}", *HAND_COLUMNS], "{header_only} has no rows"),
        (
            ["rfm", "{numbers}", *HAND_COLUMNS],
            "column 'date' holds numbers, not dates: give --date-format (e.g. %Y%m%d)",
        ),
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    files = {
        "missing": tmp_path / "none.csv",
        "xlsx": bad(tmp_path, "x", "orders.xlsx"),
        "good": bad(tmp_path, HAND),
        "bad_date": bad(
            tmp_path, "customer,date\n1,2024-01-01\n2,yesterday\n", "d.csv"
        ),
        "empty_date": bad(tmp_path, "customer,date\n1,2024-01-01\n2,\n", "e.csv"),
        # A blank line and a note over two lines: lines counted as in the file.
        "blank_lines": bad(
            tmp_path,
            "customer,date,amount,note\n007,2024-01-05,10,\n\n"
            '007,2024-03-30,20,"two\nlines"\n008,2024-02-01,5,\n'
            "009,2024-03-31,100,\n009,2024-03-31,x,\n",
            "b.csv",
        ),
        "empty": bad(tmp_path, "", "empty.csv"),
        "header_only": bad(tmp_path, "customer,date\n", "h.csv"),
        "tmp": tmp_path,
    }
    numbers = tmp_path / "numbers.parquet"
    pd.DataFrame({"customer": ["a"], "date": [20240101]}).to_parquet(numbers)
    files["numbers"] = numbers
    fill = {k: str(v) for k, v in files.items()}
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code, out, err = run(capsys, *[a.format(**fill) for a in argv])
    assert (code, out, err) == (2, "", f"error: {message.format(**fill)}\n")
    # Nothing written: no output file, no plot folder, no temporary file.
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_broken_parquet_is_reported_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = bad(tmp_path, "customer,date\n1,2024-01-01\n", "orders.parquet")
    code, out, err = run(capsys, "rfm", broken, *HAND_COLUMNS)
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: cannot read {broken}: ")
    assert err.count("\n") == 1


def test_help_is_bilingual(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "clv", "--help")
    assert code == 0
    assert "Customer id column / 客户编号列" in out
    assert "--calibration-end DATE" in out


def test_guanxi_command_runs_analyze(
    capsys: pytest.CaptureFixture[str], hand_csv: Path
) -> None:
    from guanxi.cli import main as guanxi_main

    with pytest.raises(SystemExit) as done:
        guanxi_main(["analyze", "rfm", str(hand_csv), *HAND_COLUMNS, "--json"])
    assert done.value.code == 0
    assert json.loads(capsys.readouterr().out)["customers"] == 3


def test_analyze_in_a_fresh_process_never_imports_django(hand_csv: Path) -> None:
    # The installed entry point's path, in a fresh interpreter: exit code 2 and
    # one error line, no traceback, and Django never imported.
    script = (
        "import sys\n"
        "from guanxi.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "finally:\n"
        "    assert 'django' not in sys.modules\n"
    )
    argv = [
        "analyze",
        "rfm",
        str(hand_csv),
        "--customer-col",
        "x",
        "--date-col",
        "date",
    ]
    failed = subprocess.run(
        [sys.executable, "-c", script, *argv],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "OMP_WAIT_POLICY": "passive"},
    )
    assert failed.returncode == 2
    assert (
        failed.stderr
        == "error: column 'x' is missing (the file has: customer, date, amount)\n"
    )


def simulated_orders(customers: int = 200) -> pd.DataFrame:
    """Customers who buy every few weeks until they quit (fixed seed)."""
    rng = np.random.default_rng(11)
    start, end = pd.Timestamp("2023-01-01"), pd.Timestamp("2024-06-30")
    rows = []
    for number in range(customers):
        day = start + pd.Timedelta(days=int(rng.integers(0, 120)))
        quits = day + pd.Timedelta(days=int(rng.exponential(250)))
        rhythm = float(rng.uniform(10, 60))
        while day <= min(quits, end):
            rows.append(
                (f"C{number:04d}", day.date().isoformat(), round(rng.gamma(2, 40), 2))
            )
            day += pd.Timedelta(days=max(1, int(rng.exponential(rhythm))))
    return pd.DataFrame(rows, columns=["customer", "date", "amount"])


@pytest.mark.slow
def test_churn_reports_classifier_and_baseline_side_by_side(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from sklearn.metrics import average_precision_score, roc_auc_score

    orders = simulated_orders()
    path = tmp_path / "orders.csv"
    orders.to_csv(path, index=False)
    out = tmp_path / "churn.parquet"
    argv: list[str | Path] = ["churn", path, *HAND_COLUMNS, "--amount-col", "amount"]
    argv += ["--observation-end", "2024-06-30", "--horizon-days", "60", "--out", out]
    code, text, _ = run(capsys, *argv)
    assert code == 0
    lines = text.splitlines()
    # Test cut-off: the end minus the horizon; training one horizon earlier.
    assert "训练截止 2024-03-02" in lines[1]
    assert "测试截止 2024-05-01" in lines[1]
    scores = pd.read_parquet(out).set_index("customer_id")
    baselines = ["btyd_no_purchase", "days_since_last_purchase"]
    assert list(scores.columns) == ["churn_probability", *baselines, "churned"]
    # Labels by hand: known by the test cut-off, no purchase in the 60 days after.
    dates = pd.to_datetime(orders["date"])
    cutoff, end = pd.Timestamp("2024-05-01"), pd.Timestamp("2024-06-30")
    known = set(orders.loc[dates <= cutoff, "customer"])
    ahead = set(orders.loc[(dates > cutoff) & (dates <= end), "customer"])
    assert set(scores.index) == known
    expected = pd.Series({c: int(c not in ahead) for c in known}).sort_index()
    assert scores["churned"].sort_index().tolist() == expected.tolist()
    # The printed metrics, side by side, are those of the written scores.
    labels = scores["churned"]
    for name, metric in (
        ("ROC-AUC", roc_auc_score),
        ("PR-AUC", average_precision_score),
    ):
        row = next(line for line in lines if line.startswith(name))
        assert row.split()[1:] == [
            f"{metric(labels, scores[name]):.4f}"
            for name in ["churn_probability", *baselines]
        ]
    # One sentence in each language says whether it beats the best baseline.
    verdict = next(line for line in lines if line.startswith("The classifier"))
    assert " the best baseline (" in verdict
    assert lines[lines.index(verdict) + 1].startswith("分类器")


def test_churn_needs_an_observed_horizon(
    capsys: pytest.CaptureFixture[str], hand_csv: Path
) -> None:
    code, out, err = run(
        capsys, "churn", hand_csv, *HAND_COLUMNS, "--horizon-days", "60"
    )
    assert (code, out) == (2, "")
    # End 31 March: test cut-off 31 January, training cut-off 2 December 2023,
    # before anybody had bought.
    assert err == "error: cutoff: no customer has bought by 2023-12-02\n"


@pytest.mark.parametrize(
    ("command", "option", "english", "chinese"),
    [
        ("clv", "--horizon-months", "months", "月"),
        ("churn", "--horizon-days", "days", "天"),
    ],
)
def test_the_old_horizon_option_still_works_with_a_warning(
    capsys: pytest.CaptureFixture[str],
    hand_csv: Path,
    tmp_path: Path,
    command: str,
    option: str,
    english: str,
    chinese: str,
) -> None:
    path, value = hand_csv, "10"
    if command == "churn":
        path, value = tmp_path / "orders.csv", "60"
        simulated_orders().to_csv(path, index=False)
    argv: list[str | Path] = [command, path, *HAND_COLUMNS, "--amount-col", "amount"]
    old_code, old_out, old_err = run(capsys, *argv, "--horizon", value, "--json")
    new_code, new_out, new_err = run(capsys, *argv, option, value, "--json")
    assert (old_code, new_code, new_err) == (0, 0, "")
    assert old_err == (
        f"warning: --horizon is deprecated: use {option} (here {english})\n"
        f"警告：--horizon 已弃用，请改用 {option}（此处单位：{chinese}）\n"
    )
    assert json.loads(old_out) == json.loads(new_out)
    key = "horizon_months" if command == "clv" else "horizon_days"
    assert json.loads(new_out)[key] == int(value)


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
