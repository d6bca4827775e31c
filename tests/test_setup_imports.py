"""Django's set-up and its checks load no numeric library: every command's
start (``guanxi --help``, ``guanxi start``, a scoring run's own) would pay
seconds for pandas, scikit-learn, SciPy and Ibis, which only the work that
computes with them needs (imported inside the functions that do)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Loaded where they are used, never by importing the apps and their URLs.
HEAVY = ("pandas", "sklearn", "scipy", "ibis", "duckdb", "sqlglot", "jieba")


def test_setting_up_django_loads_no_numeric_library(tmp_path: Path) -> None:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("GUANXI_", "DATABASE"))
    }
    code = (
        "import json, os, sys; "
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'guanxi.config.settings'; "
        "import django; django.setup(); "
        "from django.core import checks; checks.run_checks(); "
        "import guanxi.insights.management.commands.score; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "GUANXI_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []
