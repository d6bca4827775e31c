"""A signed JSON POST to the business's own system.

The body is JSON; ``X-Guanxi-Timestamp`` is the Unix time of the attempt and
``X-Guanxi-Signature`` is ``sha256=`` + hex HMAC-SHA256 under
``GUANXI_WEBHOOK_SECRET`` of ``"<timestamp>.<body>"`` (the receiver checks it
and refuses old timestamps). ``Idempotency-Key`` is the same on every attempt.
2xx is sent; 408, 429, 5xx, a timeout or a refused connection retry; other
answers (a redirect too: never followed) fail.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from guanxi.messaging.channels.base import Envelope, Result, failed, retry, sent
from guanxi.messaging.channels.network import UrlRefused, post, url_target


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookSender:
    def __init__(
        self, *, url: str, secret: str, allow_loopback_http: bool = False
    ) -> None:
        self.url = url
        self.secret = secret
        self.allow_loopback_http = allow_loopback_http

    def close(self) -> None:
        pass

    def payload(self, envelope: Envelope) -> bytes:
        return json.dumps(
            {
                "id": envelope.key,
                "customer_id": envelope.customer_id,
                "purpose": envelope.purpose,
                "subject": envelope.subject,
                "text": envelope.text,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

    def send(self, envelope: Envelope) -> Result:
        try:
            target = url_target(self.url, allow_loopback_http=self.allow_loopback_http)
        except UrlRefused as error:
            return failed(f"webhook refused: {error.message}")
        body = self.payload(envelope)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Guanxi-Timestamp": timestamp,
            "X-Guanxi-Signature": signature(self.secret, timestamp, body),
            "Idempotency-Key": envelope.key,
        }
        try:
            answer = post(target, body=body, headers=headers)
        except (OSError, TimeoutError) as error:
            return retry(f"webhook {target.host}: {type(error).__name__}")
        status = answer.status
        if 200 <= status < 300:
            return sent()
        if status in {408, 429} or status >= 500:
            return retry(f"webhook {target.host}: HTTP {status}")
        return failed(f"webhook {target.host}: HTTP {status}")
