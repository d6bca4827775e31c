"""WeCom (企业微信): a staff group's robot, or a message to the customer's
WeCom account through the external-contact API.

- ``robot``: ``POST /cgi-bin/webhook/send?key=KEY`` with ``{"msgtype": "text"
  | "markdown", …}`` — service notices about a customer to a staff group (the
  key is the robot's secret: it is never logged).
- ``external``: ``GET /cgi-bin/gettoken?corpid=…&corpsecret=…`` gives an
  ``access_token`` (valid ``expires_in`` seconds, kept per process and taken
  again five minutes early, or at once when an answer says it is invalid or
  expired: errcode 40014, 42001, 40001); then ``POST
  /cgi-bin/externalcontact/add_msg_template?access_token=…`` with the
  customer's ``external_userid`` (their source identity of source ``wecom``)
  and the text. WeCom puts the message to the staff member's confirmation;
  ``msgid`` is kept. An ``external_userid`` in ``fail_list`` is not the
  business's contact: failed, and the id suppressed.

errcode 0 is sent; -1 (busy), 45009/45033/45011 (frequency limits), HTTP
429/5xx, timeouts retry later; others (bad key, bad secret, 40096 a bad
external_userid, 84061 no such contact relation) fail.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from guanxi.messaging.channels.base import Envelope, Result, failed, retry, sent
from guanxi.messaging.channels.network import (
    Answer,
    Target,
    UrlRefused,
    get,
    post,
    url_target,
)

BASE_URL = "https://qyapi.weixin.qq.com"
MODES = ("external", "robot")
TOKEN_INVALID = frozenset({40001, 40014, 42001})
RETRY_CODES = frozenset({-1, 45009, 45011, 45033})
BAD_CONTACT = frozenset({40096, 84061})
TEXT_BYTES = 2048  # the robot's text limit; markdown 4096
MARKDOWN_BYTES = 4096


@dataclass(frozen=True)
class WecomSettings:
    mode: str
    base_url: str = BASE_URL
    robot_key: str = ""
    robot_format: str = "text"
    corp_id: str = ""
    secret: str = ""
    sender: str = ""  # the staff member's userid the message goes out as
    allow_loopback_http: bool = False


class _Tokens:
    """access_token per (base URL, corp id, secret), kept until five minutes
    before it expires; shared by the threads of a process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str, str], tuple[str, float]] = {}

    def get(self, key: tuple[str, str, str]) -> str:
        with self._lock:
            token, until = self._held.get(key, ("", 0.0))
        return token if token and time.monotonic() < until else ""

    def put(self, key: tuple[str, str, str], token: str, seconds: float) -> None:
        with self._lock:
            self._held[key] = (token, time.monotonic() + max(0.0, seconds - 300))

    def drop(self, key: tuple[str, str, str]) -> None:
        with self._lock:
            self._held.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._held.clear()


TOKENS = _Tokens()


def _errcode(data: dict[str, Any]) -> int | None:
    value = data.get("errcode")
    return value if isinstance(value, int) else None


def _classify(
    name: str, answer: Answer, data: dict[str, Any], *, token_retries: bool = True
) -> Result | None:
    """The outcome of an answer, None for success (errcode 0). A refused
    token is retried later, but not when taking one (a wrong secret)."""
    code = _errcode(data)
    if answer.status in {408, 429} or answer.status >= 500:
        return retry(f"{name}: HTTP {answer.status}")
    if code is None:
        return failed(f"{name}: HTTP {answer.status}")
    if code == 0:
        return None
    if code in RETRY_CODES or (token_retries and code in TOKEN_INVALID):
        return retry(f"{name}: errcode {code}")
    return failed(f"{name}: errcode {code}", suppress_address=code in BAD_CONTACT)


def _truncate(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode("utf-8", "ignore") + "…"


class WecomSender:
    def __init__(self, settings: WecomSettings) -> None:
        self.settings = settings

    def close(self) -> None:
        pass

    def _target(self, path: str) -> Target:
        return url_target(
            self.settings.base_url.rstrip("/") + path,
            allow_loopback_http=self.settings.allow_loopback_http,
        )

    def send(self, envelope: Envelope) -> Result:
        try:
            if self.settings.mode == "robot":
                return self._robot(envelope)
            return self._external(envelope)
        except UrlRefused as error:
            return failed(f"wecom refused: {error.message}")
        except (OSError, TimeoutError) as error:
            return retry(f"wecom: {type(error).__name__}")

    def _post_json(self, target: Target, payload: dict[str, Any]) -> Answer:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return post(
            target,
            body=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )

    def _robot(self, envelope: Envelope) -> Result:
        s = self.settings
        target = self._target(f"/cgi-bin/webhook/send?key={quote(s.robot_key)}")
        text = envelope.text.strip()
        if envelope.subject:
            text = f"{envelope.subject}\n{text}"
        if s.robot_format == "markdown":
            payload = {
                "msgtype": "markdown",
                "markdown": {"content": _truncate(text, MARKDOWN_BYTES)},
            }
        else:
            payload = {
                "msgtype": "text",
                "text": {"content": _truncate(text, TEXT_BYTES)},
            }
        answer = self._post_json(target, payload)
        outcome = _classify("wecom robot", answer, answer.json_object())
        return outcome or sent()

    def _token(self, *, fresh: bool) -> tuple[str, Result | None]:
        s = self.settings
        key = (s.base_url, s.corp_id, s.secret)
        if fresh:
            TOKENS.drop(key)
        token = TOKENS.get(key)
        if token:
            return token, None
        target = self._target(
            f"/cgi-bin/gettoken?corpid={quote(s.corp_id)}&corpsecret={quote(s.secret)}"
        )
        answer = get(target)
        data = answer.json_object()
        outcome = _classify("wecom gettoken", answer, data, token_retries=False)
        if outcome is not None:
            return "", outcome
        token = str(data.get("access_token") or "")
        if not token:
            return "", failed("wecom gettoken: no access_token")
        expires = data.get("expires_in")
        TOKENS.put(key, token, float(expires) if isinstance(expires, int) else 7200.0)
        return token, None

    def _external(self, envelope: Envelope) -> Result:
        s = self.settings
        payload: dict[str, Any] = {
            "chat_type": "single",
            "external_userid": [envelope.to],
            "text": {"content": envelope.text.strip()},
        }
        if s.sender:
            payload["sender"] = s.sender
        for fresh in (False, True):
            token, problem = self._token(fresh=fresh)
            if problem is not None:
                return problem
            target = self._target(
                f"/cgi-bin/externalcontact/add_msg_template?access_token={quote(token)}"
            )
            answer = self._post_json(target, payload)
            data = answer.json_object()
            if _errcode(data) in TOKEN_INVALID and not fresh:
                continue  # taken again once, then the message is sent
            outcome = _classify("wecom add_msg_template", answer, data)
            if outcome is not None:
                return outcome
            if envelope.to in (data.get("fail_list") or []):
                return failed(
                    "wecom add_msg_template: fail_list", suppress_address=True
                )
            return sent(str(data.get("msgid") or ""))
        return retry("wecom add_msg_template: token refused")  # pragma: no cover
