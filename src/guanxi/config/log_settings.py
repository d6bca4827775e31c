"""Settings: logging (one line per record on the terminal, whole records in a file)."""

from __future__ import annotations

import os
from pathlib import Path

from guanxi.config.environment import DATA_DIR
from guanxi.core.files import private_folder

__all__ = ["LOGGING", "LOG_FILE"]

# Whole log records, tracebacks included (GUANXI_LOG_FILE; empty: none). The
# terminal shows one line per record and names this file.
_log_file = os.environ.get("GUANXI_LOG_FILE", str(DATA_DIR / "log" / "guanxi.log"))
LOG_FILE: Path | None = Path(_log_file).resolve() if _log_file else None
if LOG_FILE is not None:
    try:
        private_folder(LOG_FILE.parent)
    except OSError:  # a read-only disk: the terminal's lines only
        LOG_FILE = None
_LOG_HANDLERS = ["console", "file"] if LOG_FILE else ["console"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "disallowed_host_line": {"()": "guanxi.config.log_filters.DisallowedHostLine"}
    },
    "formatters": {
        "one_line": {
            "()": "guanxi.config.log_filters.OneLine",
            "details": str(LOG_FILE or ""),
        },
        "full": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        # The terminal: one line per record, never a traceback (log_filters).
        "console": {"class": "logging.StreamHandler", "formatter": "one_line"},
        # Everything, tracebacks included, for whoever runs the server.
        "file": {
            "class": "guanxi.config.log_filters.PrivateRotatingFile",
            "filename": str(LOG_FILE or os.devnull),
            "maxBytes": 5_000_000,
            "backupCount": 3,
            "delay": True,
            "encoding": "utf-8",
            "formatter": "full",
        },
    },
    "root": {
        "handlers": _LOG_HANDLERS,
        "level": os.environ.get("GUANXI_LOG_LEVEL", "WARNING"),
    },
    "loggers": {
        # The task worker's records through the same handlers (one line on the
        # terminal, whole in the file): with a handler of its own configured,
        # Huey's consumer adds none of its own, which printed tracebacks.
        "huey": {
            "handlers": _LOG_HANDLERS,
            "level": os.environ.get("GUANXI_LOG_LEVEL", "WARNING"),
            "propagate": False,
        },
        # One line per refused host instead of a traceback (see log_filters).
        "django.security.DisallowedHost": {
            "handlers": _LOG_HANDLERS,
            "filters": ["disallowed_host_line"],
            "propagate": False,
        },
    },
}
