"""``guanxi analyze sentiment``: files in the import's encodings and formats,
the output file, the one JSON object, and bad input refused with its message
and nothing written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from guanxi.cli import main as guanxi_main

HOSTILE = Path(__file__).resolve().parents[4] / "tests" / "data" / "hostile"
ROWS = [
    ("1", "菜很好吃，送得也快，下次还点"),
    ("2", "送餐太慢了，饭都凉了，差评"),
    ("3", '=HYPERLINK("http://example.com","点我")'),
    ("4", "The staff were rude and the room was dirty."),
    ("5", ""),
]


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        guanxi_main(["analyze", "sentiment", *(str(a) for a in argv)])
    captured = capsys.readouterr()
    code = done.value.code
    assert isinstance(code, int)
    return code, captured.out, captured.err


@pytest.fixture
def gbk_csv(tmp_path: Path) -> Path:
    path = tmp_path / "reviews.csv"
    lines = ["编号,评论"] + [
        f'{i},"{t.replace(chr(34), chr(34) * 2)}"' for i, t in ROWS
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def test_a_gbk_csv_scored_with_the_input_columns_kept(
    capsys: pytest.CaptureFixture[str], gbk_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "scored.csv"
    code, stdout, _ = run(capsys, gbk_csv, "--text-col", "评论", "--out", out, "--json")
    assert code == 0
    summary = json.loads(stdout)
    assert set(summary) == {"texts", "positive", "neutral", "negative", "seconds"}
    assert {k: v for k, v in summary.items() if k != "seconds"} == {
        "texts": 5,
        "positive": 1,
        "neutral": 2,
        "negative": 2,
    }
    with out.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["编号", "评论", "sentiment", "negative_probability"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4", "5"]
    assert [r[2] for r in rows[1:]] == [
        "positive",
        "negative",
        "neutral",
        "negative",
        "neutral",
    ]
    # The formula guard of every export: a spreadsheet shows it, never runs it.
    assert rows[3][1] == "'" + ROWS[2][1]
    assert all(0 <= float(r[3]) <= 1 for r in rows[1:])


def test_an_xlsx_file_and_the_readable_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "reviews.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "text"])
    for number, text in ROWS[:2]:
        sheet.append([int(number), text])
    book.save(path)
    code, stdout, _ = run(capsys, path, "--text-col", "text")
    assert code == 0
    assert stdout.startswith("2 texts: 1 positive, 0 neutral, 1 negative (")
    assert "2 条文本：正面 1，中性 0，负面 1" in stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["{csv}", "--text-col", "评语"],
            "column '评语' is missing (the file has: 编号, 评论)",
        ),
        (["{dir}/none.csv", "--text-col", "评论"], "file not found: {dir}/none.csv"),
        (
            ["{dir}/r.txt", "--text-col", "评论"],
            "unsupported file type '.txt' (use .csv or .xlsx)",
        ),
        (
            ["{csv}", "--text-col", "评论", "--out", "{dir}/o.parquet"],
            "--out: unsupported file type '.parquet' (use .csv)",
        ),
        (
            ["{csv}", "--text-col", "评论", "--out", "{dir}/no/o.csv"],
            "--out: folder does not exist: {dir}/no",
        ),
        (["{csv}"], "the following arguments are required: --text-col"),
        (
            ["{hostile}/truncated.xlsx", "--text-col", "x"],
            "line 1: cannot read the file as an Excel workbook (.xlsx)",
        ),
        (
            ["{hostile}/nul-bytes.csv", "--text-col", "x"],
            "line 3: a NUL character: this is not a text file (save it from the "
            "spreadsheet as CSV or XLSX)",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str],
    gbk_csv: Path,
    tmp_path: Path,
    argv: list[str],
    message: str,
) -> None:
    (tmp_path / "r.txt").write_text("评论\n好\n", encoding="utf-8")
    names = {"csv": str(gbk_csv), "dir": str(tmp_path), "hostile": str(HOSTILE)}
    before = sorted(p.name for p in tmp_path.iterdir())
    code, stdout, stderr = run(capsys, *[a.format(**names) for a in argv])
    assert code == 2
    assert stdout == ""
    assert stderr == f"error: {message.format(**names)}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_file_with_only_headers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("评论\n", encoding="utf-8")
    code, _, stderr = run(capsys, path, "--text-col", "评论")
    assert (code, stderr) == (2, f"error: {path} has no rows\n")
