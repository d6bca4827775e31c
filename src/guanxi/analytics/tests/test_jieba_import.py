"""jieba's own DeprecationWarnings (invalid escapes in its regexes, raised
when its source is compiled) are silenced at the one place it is imported,
and only there: a fresh process compiles jieba from source (an empty
bytecode cache) and shows every warning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

IMPORT_HERE = "from guanxi.analytics.needs import _words; print(_words('物流太慢'))"
PLAIN_IMPORT = "import jieba"


def _stderr(code: str, cache: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-X", f"pycache_prefix={cache}", "-W", "always", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_jieba_warnings_silenced_only_around_our_import(tmp_path: Path) -> None:
    plain = _stderr(PLAIN_IMPORT, tmp_path / "plain")
    # The warnings exist: a plain import compiled from source shows three.
    assert plain.count("DeprecationWarning: invalid escape sequence") == 3
    assert plain.count("/jieba/") == 3
    ours = _stderr(IMPORT_HERE, tmp_path / "ours")
    assert "jieba" not in ours
    assert "DeprecationWarning" not in ours
    # Not global: after our import, a warning of that category still shows.
    after = _stderr(
        IMPORT_HERE + "; import warnings; warnings.warn('ours', DeprecationWarning)",
        tmp_path / "after",
    )
    assert "DeprecationWarning: ours" in after
    assert "jieba" not in after
