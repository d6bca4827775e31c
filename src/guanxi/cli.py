"""The ``guanxi`` command: Django's management commands plus Guanxi's own.

``guanxi analyze …`` runs the analytics engine on a file without the web app
(and without Django); everything else goes through Django.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "analyze":
        from guanxi.analytics.cli import main as analyze_main

        raise SystemExit(analyze_main(args[1:]))
    if args and not args[0].startswith("-"):
        # `guanxi api-token` runs the management command `api_token`.
        args[0] = args[0].replace("-", "_")
    from guanxi.core.files import private_umask

    private_umask()  # data files 0600, folders 0700 (guanxi.core.files)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.config.settings")
    import django
    from django.core.management import execute_from_command_line
    from django.utils import translation

    from guanxi.core.i18n import terminal_language

    django.setup()
    # Messages follow the terminal's locale (LANG=zh_CN.UTF-8 → 简体中文).
    translation.activate(terminal_language())

    execute_from_command_line(["guanxi", *args])


if __name__ == "__main__":
    main()
