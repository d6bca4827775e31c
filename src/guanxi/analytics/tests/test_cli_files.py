"""``guanxi analyze`` on small hand-made files (RFM, cohorts), bad input
with its one error line, the help, and the command's entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from guanxi.analytics.cli import main
from guanxi.analytics.tests.cli_runs import (
    HAND,
    HAND_COLUMNS,
    assert_png,
    run,
    run_json,
)


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


def test_help_in_the_language_given(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "clv", "--help")
    assert code == 0
    assert "  --customer-col C      Customer id column" in out.splitlines()
    assert "--calibration-end DATE" in out
    # The guanxi command passes its catalog for the terminal's language.
    chinese = {"Customer id column": "客户编号列"}
    assert main(["clv", "--help"], gettext=lambda s: chinese.get(s, s)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "  --customer-col C      客户编号列" in lines
    assert "  --date-col D          Purchase date column" in lines


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
