"""Language of the terminal: the ``guanxi`` command speaks the user's locale."""

from __future__ import annotations

import os

__all__ = ["terminal_language"]


def terminal_language(environ: dict[str, str] | None = None) -> str:
    """``zh-hans`` when the locale variables ask for Chinese, else ``en``.

    Checked in gettext's order: ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``.
    """
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh-hans" if value.lower().startswith("zh") else "en"
    return "en"
