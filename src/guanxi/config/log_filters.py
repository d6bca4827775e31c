"""Logging: what reaches the terminal is one clear line, never a traceback.

:class:`OneLine` formats every record on the console as its message, and an
exception as its type only (a database error's text can quote the values of
a row), with where to read the rest: the whole record, traceback included,
goes to ``log/guanxi.log`` in the data folder (private, rotated).

Django logs a request whose Host header is not allowed (``DisallowedHost``) at
ERROR with the whole traceback; someone who opened Guanxi by an address it was
not started for sees a screen of it for every page and image. This filter turns
the record into one line that says which host was refused and which variable
allows it. The host is the server's own name as the browser sent it (no personal
data), shortened and escaped because a client chooses it.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from typing import Any

__all__ = ["DisallowedHostLine", "OneLine", "PrivateRotatingFile"]

HOST_SHOWN = 100


class DisallowedHostLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        meta = getattr(request, "META", {}) or {}
        host = str(meta.get("HTTP_HOST", "") or meta.get("SERVER_NAME", ""))
        record.msg = (
            "Refused a request for host %r: not among the allowed hosts. If it is "
            "this server's name or address, add it to GUANXI_ALLOWED_HOSTS. "
            "已拒绝对主机 %r 的请求：它不在允许的主机中。"
        )
        record.args = (host[:HOST_SHOWN], host[:HOST_SHOWN])
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


class OneLine(logging.Formatter):
    """The message, and of an exception its type only, on one line."""

    def __init__(self, *args: object, details: str = "", **kwargs: object) -> None:
        super().__init__()
        self.details = details

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            text = f"{text} ({record.exc_info[0].__name__}"
            text += f"; details in {self.details})" if self.details else ")"
        return " ".join(text.splitlines())


class PrivateRotatingFile(logging.handlers.RotatingFileHandler):
    """A rotating log file readable by its owner only (0600), whatever the
    process's umask."""

    def _open(self) -> Any:
        descriptor = os.open(
            self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
        )
        os.chmod(self.baseFilename, 0o600)
        return os.fdopen(descriptor, "a", encoding=self.encoding, errors=self.errors)
