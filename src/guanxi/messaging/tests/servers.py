"""Real servers on 127.0.0.1 for the messaging tests: an SMTP server
(aiosmtpd) that records what it accepted and answers as a test scripts it,
an HTTP server that checks webhook signatures, and servers standing in for
Aliyun SMS, Tencent Cloud SMS, an SMS gateway and WeCom that check each
request's signature or credentials as the provider documents them."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
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


# --- SMS providers and WeCom --------------------------------------------------
# Each server checks the request the way the provider documents it, written
# here from the reference and not from Guanxi's own signing code, so a defect
# in either shows up as a refused request.


@dataclass
class ProviderRecorder:
    """What a provider's server holds: the keys it knows, the answers a test
    scripts (``(HTTP status, JSON body)``, given in turn once a request is
    authentic), the requests it accepted and how many it refused."""

    key_id: str = ""
    secret: str = ""
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # WeCom: the robot's key, the access tokens it issued and still honours,
    # the external ids it puts in ``fail_list``.
    robot_key: str = ""
    tokens: set[str] = field(default_factory=set)
    tokens_issued: int = 0
    fail_list: set[str] = field(default_factory=set)


Respond = Callable[[str, str, Any, bytes], tuple[int, dict[str, Any]]]


@contextmanager
def json_server(respond: Respond) -> Iterator[int]:
    """An HTTP server on 127.0.0.1 answering ``respond(method, path, headers,
    body)`` as JSON; yields its port."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length", "0") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = respond(method, self.path, self.headers, body)
            raw = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _aliyun_encode(value: str) -> str:
    # The reference's recipe: URL-encode as forms do, then "+" → "%20",
    # "*" → "%2A", "%7E" → "~".
    encoded = urllib.parse.quote_plus(value, safe="")
    return encoded.replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def aliyun_expected_signature(secret: str, method: str, params: dict[str, str]) -> str:
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    query = "&".join(f"{_aliyun_encode(k)}={_aliyun_encode(v)}" for k, v in pairs)
    to_sign = method + "&" + _aliyun_encode("/") + "&" + _aliyun_encode(query)
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@contextmanager
def aliyun_sms_server(recorder: ProviderRecorder) -> Iterator[int]:
    """Aliyun dysmsapi ``SendSms`` (RPC, form-encoded POST, signature 1.0)."""
    nonces: set[str] = set()

    def respond(method: str, path: str, headers: Any, body: bytes) -> Any:
        params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        good = (
            params.get("AccessKeyId") == recorder.key_id
            and params.get("SignatureMethod") == "HMAC-SHA1"
            and params.get("SignatureVersion") == "1.0"
            and params.get("SignatureNonce", "") not in nonces
            and hmac.compare_digest(
                params.get("Signature", ""),
                aliyun_expected_signature(recorder.secret, method, params),
            )
        )
        with recorder.lock:
            recorder.requests += 1
            if not good:
                recorder.bad_signatures += 1
                return 400, {"Code": "SignatureDoesNotMatch", "Message": "bad"}
            nonces.add(params["SignatureNonce"])
            status, answer = (
                recorder.answers.pop(0)
                if recorder.answers
                else (200, {"Code": "OK", "Message": "OK"})
            )
            if answer.get("Code") == "OK":
                answer = {**answer, "BizId": f"biz-{len(recorder.received) + 1}"}
                recorder.received.append(params)
        return status, {"RequestId": "r", **answer}

    with json_server(respond) as port:
        yield port


def tencent_expected_authorization(
    *, secret_key: str, headers: Any, body: bytes, authorization: str
) -> str:
    """The Authorization a TC3-HMAC-SHA256 request should carry, recomputed
    from the headers the server received and the raw body."""
    parts = dict(
        item.strip().split("=", 1)
        for item in authorization.removeprefix("TC3-HMAC-SHA256 ").split(",")
        if "=" in item
    )
    credential = parts.get("Credential", "")
    signed = parts.get("SignedHeaders", "")
    secret_id, date, service, _term = [*credential.split("/"), "", "", ""][:4]
    names = signed.split(";")
    canonical_headers = "".join(
        f"{name}:{(headers.get(name) or '').strip().lower()}\n" for name in names
    )
    canonical = (
        f"POST\n/\n\n{canonical_headers}\n{signed}\n{hashlib.sha256(body).hexdigest()}"
    )
    stamp = headers.get("X-TC-Timestamp", "")
    to_sign = (
        f"TC3-HMAC-SHA256\n{stamp}\n{date}/{service}/tc3_request\n"
        + hashlib.sha256(canonical.encode()).hexdigest()
    )

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/{service}/tc3_request, "
        f"SignedHeaders={signed}, Signature={signature}"
    )


@contextmanager
def tencent_sms_server(recorder: ProviderRecorder) -> Iterator[int]:
    """Tencent Cloud SMS ``SendSms`` (API 3.0, TC3-HMAC-SHA256)."""

    def respond(method: str, path: str, headers: Any, body: bytes) -> Any:
        authorization = headers.get("Authorization", "")
        stamp = headers.get("X-TC-Timestamp", "0")
        date = dt.datetime.fromtimestamp(int(stamp), dt.UTC).strftime("%Y-%m-%d")
        good = (
            f"Credential={recorder.key_id}/{date}/sms/tc3_request," in authorization
            and "host" in authorization.split("SignedHeaders=")[-1].split(",")[0]
            and headers.get("X-TC-Action") == "SendSms"
            and headers.get("X-TC-Version") == "2021-01-11"
            and hmac.compare_digest(
                authorization,
                tencent_expected_authorization(
                    secret_key=recorder.secret,
                    headers=headers,
                    body=body,
                    authorization=authorization,
                ),
            )
        )
        with recorder.lock:
            recorder.requests += 1
            if not good:
                recorder.bad_signatures += 1
                return 200, {
                    "Response": {
                        "Error": {"Code": "AuthFailure.SignatureFailure"},
                        "RequestId": "r",
                    }
                }
            payload = json.loads(body)
            status, answer = (
                recorder.answers.pop(0)
                if recorder.answers
                else (200, {"Code": "Ok", "Message": "send success"})
            )
            if "Error" in answer:
                return status, {"Response": {**answer, "RequestId": "r"}}
            serial = ""
            if answer.get("Code") == "Ok":
                recorder.received.append(payload)
                serial = f"serial-{len(recorder.received)}"
            row = {
                "SerialNo": serial,
                "PhoneNumber": payload["PhoneNumberSet"][0],
                "Fee": 1,
                "SessionContext": payload.get("SessionContext", ""),
                "IsoCode": "CN",
                **answer,
            }
            return status, {"Response": {"SendStatusSet": [row], "RequestId": "r"}}

    with json_server(respond) as port:
        yield port


@contextmanager
def sms_gateway_server(recorder: ProviderRecorder) -> Iterator[int]:
    """A business's own SMS gateway: checks ``X-Guanxi-Signature`` like the
    webhook's receiver; accepted messages get an ``id``."""

    def respond(method: str, path: str, headers: Any, body: bytes) -> Any:
        stamp = headers.get("X-Guanxi-Timestamp", "")
        mac = hmac.new(
            recorder.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
        )
        good = hmac.compare_digest(
            "sha256=" + mac.hexdigest(), headers.get("X-Guanxi-Signature", "")
        )
        with recorder.lock:
            recorder.requests += 1
            if not good:
                recorder.bad_signatures += 1
                return 401, {"error": "bad_signature"}
            status, answer = recorder.answers.pop(0) if recorder.answers else (200, {})
            if 200 <= status < 300:
                recorder.received.append(
                    {**json.loads(body), "key": headers["Idempotency-Key"]}
                )
                answer = {"id": f"gw-{len(recorder.received)}", **answer}
        return status, answer

    with json_server(respond) as port:
        yield port


@contextmanager
def wecom_server(recorder: ProviderRecorder) -> Iterator[int]:
    """WeCom's ``gettoken`` (corp id ``key_id`` and ``secret``), the
    external-contact ``add_msg_template`` (a token it issued) and the group
    robot's ``webhook/send`` (``robot_key``)."""

    def respond(method: str, path: str, headers: Any, body: bytes) -> Any:
        url = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(url.query))
        with recorder.lock:
            recorder.requests += 1
            if url.path == "/cgi-bin/gettoken" and method == "GET":
                if (query.get("corpid"), query.get("corpsecret")) != (
                    recorder.key_id,
                    recorder.secret,
                ):
                    recorder.bad_signatures += 1
                    return 200, {"errcode": 40001, "errmsg": "invalid credential"}
                recorder.tokens_issued += 1
                token = f"token-{recorder.tokens_issued}"
                recorder.tokens.add(token)
                return 200, {
                    "errcode": 0,
                    "errmsg": "ok",
                    "access_token": token,
                    "expires_in": 7200,
                }
            if url.path == "/cgi-bin/externalcontact/add_msg_template":
                if query.get("access_token") not in recorder.tokens:
                    return 200, {"errcode": 42001, "errmsg": "access_token expired"}
                payload = json.loads(body)
            elif url.path == "/cgi-bin/webhook/send":
                if query.get("key") != recorder.robot_key:
                    recorder.bad_signatures += 1
                    return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
                payload = json.loads(body)
            else:
                return 404, {"errcode": 404}
            status, answer = (
                recorder.answers.pop(0) if recorder.answers else (200, {"errcode": 0})
            )
            if answer.get("errcode") != 0:
                return status, answer
            failing = [
                e for e in payload.get("external_userid", []) if e in recorder.fail_list
            ]
            if len(failing) < len(payload.get("external_userid", [])) or (
                "msgtype" in payload
            ):
                recorder.received.append(payload)
            done: dict[str, Any] = {"errmsg": "ok", **answer, "fail_list": failing}
            if "external_userid" in payload:
                done["msgid"] = f"msg-{len(recorder.received)}"
            return status, done

    with json_server(respond) as port:
        yield port


SMS_KEY_ID = "LTAI-test-id"
SMS_SECRET = "k3y-s3cret-for-tests"
SMS_SIGN = "关系茶庄"


@contextmanager
def sms_provider(name: str, settings: Any) -> Iterator[ProviderRecorder]:
    """The server of provider ``name`` (aliyun, tencent, http) and the
    settings pointing Guanxi at it (no quiet hours, no retry backoff)."""
    servers: dict[str, Callable[[ProviderRecorder], Any]] = {
        "aliyun": aliyun_sms_server,
        "tencent": tencent_sms_server,
        "http": sms_gateway_server,
    }
    recorder = ProviderRecorder(key_id=SMS_KEY_ID, secret=SMS_SECRET)
    with servers[name](recorder) as port:
        settings.GUANXI_SMS_PROVIDER = name
        settings.GUANXI_SMS_KEY_ID = SMS_KEY_ID
        settings.GUANXI_SMS_KEY_SECRET = SMS_SECRET
        settings.GUANXI_SMS_SIGN_NAME = SMS_SIGN
        settings.GUANXI_SMS_TEMPLATE = "SMS_1234" if name == "aliyun" else "1234"
        settings.GUANXI_SMS_APP_ID = "1400000000"
        settings.GUANXI_SMS_TEMPLATE_PARAMS = ""
        settings.GUANXI_SMS_ENDPOINT = f"http://127.0.0.1:{port}/"
        settings.GUANXI_SMS_MAX_SEGMENTS = 3
        settings.GUANXI_CHANNELS_LOOPBACK_HTTP = True
        settings.GUANXI_QUIET_HOURS = ""
        settings.GUANXI_MESSAGE_RETRY_BASE_SECONDS = 0
        yield recorder
