"""Every ``guanxi`` command's ``--help`` speaks the terminal's language: its
description and the help of every argument and option, Django's own included.

The commands are found as ``guanxi --help`` finds them (every management
command of a Guanxi app, and ``guanxi analyze`` with its subcommands), so a new
command whose help is left in English fails here. One process per language
runs them all through ``guanxi.cli.main``, the installed entry point's
function: setting Django up costs seconds of CPU, once per process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")

# Run in a fresh process: `guanxi <command> --help` for every command, the help
# printed on stdout collected by command, as JSON.
HELP_OF_EVERY_COMMAND = """
import contextlib, io, json, sys
import django
from django.core.management import get_commands
from guanxi.cli import main

django.setup()
commands = [
    [name.replace("_", "-")]
    for name, app in sorted(get_commands().items())
    if str(app).startswith("guanxi.")
]
commands += [["analyze"], *[["analyze", name] for name in
    ("rfm", "clv", "churn", "cohorts", "sentiment")]]
helps = {}
for argv in commands:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            main([*argv, "--help"])
        except SystemExit as done:
            assert done.code in (0, None), (argv, done.code)
    helps[" ".join(argv)] = out.getvalue()
sys.__stdout__.write(json.dumps(helps))
"""


def _helps(tmp_path: Path, language: str) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "COLUMNS"}
    }
    result = subprocess.run(
        [sys.executable, "-c", HELP_OF_EVERY_COMMAND],
        # Wide enough that argparse wraps no help: one line per argument.
        env={
            **clean,
            "GUANXI_DATA_DIR": str(tmp_path),
            "LANG": language,
            "COLUMNS": "2000",
        },
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    helps: dict[str, str] = json.loads(result.stdout)
    return helps


@pytest.fixture(scope="module")
def helps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    return {
        "en": _helps(tmp_path_factory.mktemp("en"), "C.UTF-8"),
        "zh": _helps(tmp_path_factory.mktemp("zh"), "zh_CN.UTF-8"),
    }


def _parts(text: str) -> tuple[str, dict[str, str]]:
    """The description and {argument as shown: its help} of a help text."""
    lines = text.splitlines()
    start = lines.index("") + 1  # after the usage lines
    description: list[str] = []
    arguments: dict[str, str] = {}
    current = None
    for line in lines[start:]:
        if not line.startswith(" ") and line.endswith(":"):  # "options:", "选项:"
            current = ""
            continue
        if current is None:
            description.append(line)
        elif line.startswith("  ") and not line.startswith("   "):
            shown, _, help_text = line.strip().partition("  ")
            current = shown
            arguments[current] = help_text.strip()
        elif line.strip():
            # A long invocation's help on the next line, or analyze's subcommands.
            arguments[current] = (arguments[current] + " " + line.strip()).strip()
    return " ".join(description).strip(), arguments


def _chinese(text: str) -> bool:
    return bool(CJK.search(text))


def _english(text: str) -> bool:
    # A quoted example may show Chinese data: {"phone": "联系电话"}.
    return not _chinese(re.sub(r'"[^"]*"', "", text))


def test_every_command_is_checked(helps: dict[str, dict[str, str]]) -> None:
    assert set(helps["en"]) == set(helps["zh"])
    for name in ("start", "demo", "import", "export", "send", "worker", "messages"):
        assert name in helps["en"]
    for name in ("dsar", "retention", "files", "score", "analyze", "analyze clv"):
        assert name in helps["en"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_argument_has_a_help(
    helps: dict[str, dict[str, str]], language: str
) -> None:
    bare = []
    for command, text in helps[language].items():
        description, arguments = _parts(text)
        if not description:
            bare.append(f"{command}: description")
        bare += [f"{command}: {shown}" for shown, text in arguments.items() if not text]
    assert bare == []


def test_help_in_chinese(helps: dict[str, dict[str, str]]) -> None:
    english: list[str] = []  # "command: argument" left in English
    for command, text in helps["zh"].items():
        description, arguments = _parts(text)
        english_description, english_arguments = _parts(helps["en"][command])
        if not _chinese(description) or description == english_description:
            english.append(f"{command}: description")
        # Argument names and option spellings stay English.
        assert list(arguments) == list(english_arguments), command
        english += [
            f"{command}: {shown}"
            for shown, help_text in arguments.items()
            if help_text == english_arguments[shown] or not _chinese(help_text)
        ]
    assert english == []


def test_help_in_english(helps: dict[str, dict[str, str]]) -> None:
    chinese: list[str] = []
    for command, text in helps["en"].items():
        description, arguments = _parts(text)
        if not _english(description):
            chinese.append(f"{command}: description")
        chinese += [
            f"{command}: {shown}"
            for shown, help_text in arguments.items()
            if not _english(help_text)
        ]
    assert chinese == []


@pytest.mark.parametrize(
    ("language", "command", "line"),
    [
        ("zh", "worker", "在前台运行任务进程（发送消息、执行导入和评分）。"),
        ("zh", "send", "  --audience AUDIENCE   all、segment:名称 或 file:编号.csv"),
        ("zh", "import", "  --dry-run             只校验并报告，不写入"),
        (
            "zh",
            "files",
            "  {sweep}               sweep：删除这些文件（加 --dry-run 则只统计）",
        ),
        ("zh", "start", "  --no-worker           不运行任务进程"),
        ("zh", "dsar", "  --yes                 erase：确认删除（不可撤销）"),
        ("zh", "score", "  --skip-checks         跳过系统检查。"),
        ("zh", "analyze clv", "  --customer-col C      客户编号列"),
        ("en", "worker", "  --threads THREADS     worker threads (default 2)"),
        ("en", "demo", "  --seed SEED           random seed (default 0)"),
        ("en", "score", "  --skip-checks         Skip system checks."),
        ("en", "analyze clv", "  --customer-col C      Customer id column"),
    ],
)
def test_exact_lines(
    helps: dict[str, dict[str, str]], language: str, command: str, line: str
) -> None:
    assert line in helps[language][command].splitlines()
