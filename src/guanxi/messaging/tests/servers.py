"""Real servers on 127.0.0.1 for the messaging tests: an SMTP server
(aiosmtpd) that records what it accepted and answers as a test scripts it,
and an HTTP server that checks webhook signatures."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpRecorder:
    """aiosmtpd handler: ``data_answers`` / ``rcpt_answers`` are answered in
    turn (then 250); ``received`` holds the accepted mail."""

    data_answers: list[str] = field(default_factory=list)
    rcpt_answers: dict[str, str] = field(default_factory=dict)
    received: list[EmailMessage] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        answer = self.rcpt_answers.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.attempts += 1
            if self.data_answers:
                return self.data_answers.pop(0)
            message = email.message_from_bytes(
                envelope.content, policy=email.policy.default
            )
            self.received.append(message)
        return "250 Message accepted"


@contextmanager
def smtp_server(
    recorder: SmtpRecorder | None = None, *, port: int | None = None
) -> Iterator[tuple[SmtpRecorder, int]]:
    recorder = recorder or SmtpRecorder()
    port = port or free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


@dataclass
class HookRecorder:
    secret: str
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def webhook_server(recorder: HookRecorder) -> Iterator[tuple[HookRecorder, int]]:
    """An HTTP server that checks ``X-Guanxi-Signature`` and records the
    payloads it accepted; ``answers`` (status, headers) are given in turn."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            stamp = self.headers.get("X-Guanxi-Timestamp", "")
            mac = hmac.new(
                recorder.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
            )
            good = hmac.compare_digest(
                "sha256=" + mac.hexdigest(), self.headers.get("X-Guanxi-Signature", "")
            )
            with recorder.lock:
                recorder.requests += 1
                status, headers = (
                    recorder.answers.pop(0) if recorder.answers else (200, {})
                )
                if not good:
                    recorder.bad_signatures += 1
                    status = 401
                elif 200 <= status < 300:
                    recorder.received.append(
                        {
                            "payload": json.loads(body),
                            "key": self.headers["Idempotency-Key"],
                        }
                    )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
