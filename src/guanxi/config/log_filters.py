"""Log filters: what reaches the terminal is one clear line, never a traceback.

Django logs a request whose Host header is not allowed (``DisallowedHost``) at
ERROR with the whole traceback; someone who opened Guanxi by an address it was
not started for sees a screen of it for every page and image. This filter turns
the record into one line that says which host was refused and which variable
allows it. The host is the server's own name as the browser sent it (no personal
data), shortened and escaped because a client chooses it.
"""

from __future__ import annotations

import logging

__all__ = ["DisallowedHostLine"]

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
