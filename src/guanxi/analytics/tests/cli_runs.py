"""Running ``guanxi analyze`` in the tests: the command in process with its
output captured, the CDNOW split and the small hand-made file the tests use,
and the check that a plot is a real PNG."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from matplotlib import image

from guanxi.analytics.cli import main

__all__ = [
    "CDNOW_SPLIT",
    "HAND",
    "HAND_COLUMNS",
    "assert_png",
    "run",
    "run_json",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

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

HAND = "customer,date,amount\n007,2024-01-05,10\n007,2024-03-30,20\n008,2024-02-01,5\n"
HAND += "009,2024-03-31,100\n009,2024-03-31,50\n"
HAND_COLUMNS = ["--customer-col", "customer", "--date-col", "date"]


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> dict[str, Any]:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = image.imread(path)
    assert pixels.shape[0] >= 300
    assert pixels.shape[1] >= 400
    # Something was drawn: not one flat colour.
    assert float(pixels[..., :3].std()) > 0.05
