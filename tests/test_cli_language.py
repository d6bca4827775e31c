"""The ``guanxi`` command speaks the terminal's language."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUANXI = Path(sys.executable).parent / "guanxi"


def _guanxi(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"}
    }
    return subprocess.run(
        [str(GUANXI), *args],
        env={**clean, "GUANXI_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "CommandError: no such file: /no/such/file.csv"),
        ({"LANG": "C.UTF-8"}, "CommandError: no such file: /no/such/file.csv"),
        ({"LANG": "zh_CN.UTF-8"}, "命令错误：文件不存在：/no/such/file.csv"),
        (
            {"LANG": "en_US.UTF-8", "LANGUAGE": "zh_CN"},
            "命令错误：文件不存在：/no/such/file.csv",
        ),
    ],
)
def test_messages_follow_the_locale(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = _guanxi(tmp_path, "import", "customers", "/no/such/file.csv", **env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == message
    assert "Traceback" not in result.stderr


ANALYZE_CHURN = ["analyze", "churn", "x.csv", "--customer-col", "c", "--date-col", "d"]


def _lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.splitlines()


@pytest.mark.parametrize("argv", [["--help"], ["help"], [], ["-h"]])
def test_help_lists_guanxi_commands_first_then_django(
    tmp_path: Path, argv: list[str]
) -> None:
    result = _guanxi(tmp_path, *argv, LANG="C.UTF-8")
    assert (result.returncode, result.stderr) == (0, "")
    lines = _lines(result)
    assert lines[:3] == ["Usage: guanxi <command> [options]", "", "Guanxi's commands:"]
    heading = lines.index("Django's commands (administration and development):")
    assert lines[3:heading] == [
        "  Run Guanxi",
        "    start      serve the web app with its task worker (--demo: demo data)",
        "    demo       fill the database with realistic demo customers and orders",
        "  Data in and out",
        "    import     import customers, orders or interactions (CSV, XLSX)",
        "    export     export customers or orders, as a user's role allows",
        "    purchases  recompute every customer's spend, orders, last purchase",
        "  Analytics",
        "    score      score every customer as of a day: value, stage, churn risk",
        "    analyze    RFM, CLV, churn and cohorts on a file of transactions",
        "  Messaging",
        "    send       queue a message to each customer of an audience",
        "    worker     run the task worker in the foreground (sends messages)",
        "    messages   the outbox by status; report: each broadcast's figures",
        "  Care",
        "    warnings   evaluate the early-warning signals: open warnings and care tasks",
        "  Journeys",
        "    journeys   run the journeys for a day; list, enable or disable one",
        "  Coupons",
        "    pairs      compute the products bought together (customer page suggestions)",
        "  Needs",
        "    needs      mine what customers wrote into the needs list (mine --since)",
        "  Access",
        "    api-token  create a user's REST API token (shown once)",
        "    keys       rotate the encryption, blind-index or pseudonym key; status",
        "  Privacy",
        "    dsar       export or erase one customer's data (data-subject request)",
        "    retention  purge personal data past its retention (--dry-run)",
        "    files      remove attachment files left without their row (sweep)",
        "",
        "Type 'guanxi help <command>' for help on a command.",
        "",
    ]
    django = "\n".join(lines[heading:])
    for name in ("startproject", "migrate", "createsuperuser", "run_huey"):
        assert name in django
    assert "  [django] check, compilemessages," in django


def test_every_guanxi_command_is_described_in_the_help() -> None:
    import django
    from django.core.management import get_commands

    from guanxi.cli import COMMANDS

    django.setup()
    described = {name for _group, rows in COMMANDS for name, _text in rows}
    ours = {
        name.replace("_", "-")
        for name, app in get_commands().items()
        if str(app).startswith("guanxi.")
    }
    assert described == ours | {"analyze"}


def test_help_in_chinese(tmp_path: Path) -> None:
    result = _guanxi(tmp_path, "--help", LANG="zh_CN.UTF-8")
    assert result.returncode == 0
    lines = _lines(result)
    assert lines[:3] == ["用法：guanxi <命令> [选项]", "", "Guanxi 的命令："]
    assert "  数据导入与导出" in lines
    assert "    analyze    对交易文件做 RFM、CLV、流失和同期群分析" in lines
    assert "输入 'guanxi help <命令>' 查看某个命令的帮助。" in lines
    assert "Django 的命令（管理与开发）：" in lines


@pytest.mark.parametrize(
    ("argv", "code", "stdout", "stderr"),
    [
        (
            ["import", "--help"],
            0,
            ["用法：guanxi import", "位置参数:", "显示此帮助信息并退出"],
            [],
        ),
        (
            ["import"],
            2,
            [],
            [
                "用法：guanxi import",
                "guanxi import: 错误：以下参数是必需的：kind, file",
            ],
        ),
        (
            ["import", "customers", "x.csv", "--dry-runn"],
            2,
            [],
            ["guanxi import: 错误：无法识别的参数：--dry-runn"],
        ),
        (["imprt"], 1, [], ["未知命令：'imprt'。您是想用 import 吗？"]),
        (
            ["frobnicate"],
            1,
            [],
            ["未知命令：'frobnicate'", "输入 'guanxi help' 查看用法。"],
        ),
        (
            ["import", "customers", "/no/such/file.csv"],
            1,
            [],
            ["命令错误：文件不存在：/no/such/file.csv"],
        ),
        (
            ["analyze", "clv"],
            2,
            [],
            ["错误：以下参数是必需的：FILE, --customer-col, --date-col"],
        ),
        (
            [*ANALYZE_CHURN, "--model", "pnbd"],
            2,
            [],
            ["错误：无法识别的参数：--model pnbd"],
        ),
        (["analyze", "--help"], 0, ["用法：guanxi analyze", "位置参数:"], []),
    ],
)
def test_the_command_line_itself_speaks_chinese(
    tmp_path: Path, argv: list[str], code: int, stdout: list[str], stderr: list[str]
) -> None:
    result = _guanxi(tmp_path, *argv, LANG="zh_CN.UTF-8")
    assert result.returncode == code, result.stderr
    for expected in stdout:
        assert expected in result.stdout
    for expected in stderr:
        assert expected in result.stderr.splitlines() or any(
            line.startswith(expected) for line in result.stderr.splitlines()
        )
    assert "Traceback" not in result.stderr
    if code == 0:
        assert "usage" not in result.stdout.lower()


def test_unknown_command_in_english(tmp_path: Path) -> None:
    result = _guanxi(tmp_path, "imprt", LANG="C.UTF-8")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Unknown command: 'imprt'. Did you mean import?",
        "Type 'guanxi help' for usage.",
    ]


def test_an_argument_error_from_analyze_loads_no_numeric_library(
    tmp_path: Path,
) -> None:
    # The installed entry point under -X importtime: every module the process
    # imported is listed on stderr, after which the error line comes.
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(GUANXI), "analyze", "clv", "x.csv"],
        env={**os.environ, "LANG": "C.UTF-8", "GUANXI_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[-1] == (
        "error: the following arguments are required: --customer-col, --date-col"
    )
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in lines
        if line.startswith("import time:") and "imported package" not in line
    }
    assert "guanxi.analytics.cli" in imported
    top = {name.split(".")[0] for name in imported}
    assert top.isdisjoint({"pandas", "scipy", "sklearn", "numpy", "django"})
