"""Languages: the terminal's (the ``guanxi`` command speaks the user's locale)
and the browser's language cookie (a person's chosen language)."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["language_cookie_set", "terminal_language"]


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


def language_cookie_set(response: Any, language: str) -> None:
    """Make ``language`` the browser's language for Guanxi, as Django's own
    language switch does (``LocaleMiddleware`` reads the cookie)."""
    from django.conf import settings

    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
