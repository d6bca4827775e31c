"""SMS through Aliyun SMS (dysmsapi ``SendSms``), Tencent Cloud SMS
(``SendSms``, API 3.0) or a generic HTTP gateway of the business's own.

Chinese providers send *approved templates with parameters*: a sign name
(``SignName``, shown as 【…】 before the text), a template registered with the
provider (``TemplateCode`` / ``TemplateId``) and its parameters. Guanxi's
template is rendered for the customer and, by default, sent as the one
parameter of a provider template that is only that parameter (Aliyun
``${content}``, Tencent ``{1}``); with ``GUANXI_SMS_TEMPLATE_PARAMS=name,store``
the named variables are sent instead (Aliyun by name, Tencent in that order)
and the provider's template holds the text.

Signing, from each provider's published reference:

- Aliyun RPC (signature version 1.0): every parameter but ``Signature``,
  sorted by name, names and values percent-encoded (RFC 3986: only
  ``A-Za-z0-9-_.~`` kept, a space is ``%20``), joined ``k=v&…``; the string to
  sign is ``POST&%2F&`` + that string percent-encoded again; ``Signature`` is
  Base64 of HMAC-SHA1 under ``AccessKeySecret + "&"``.
- Tencent TC3-HMAC-SHA256: the canonical request (method, ``/``, empty query,
  the ``content-type`` and ``host`` headers, their names, hex SHA-256 of the
  body), the string to sign (algorithm, timestamp, ``date/sms/tc3_request``,
  hex SHA-256 of the canonical request), the key derived as HMAC-SHA256 chain
  ``"TC3"+SecretKey`` → date → ``sms`` → ``tc3_request``.
- the HTTP gateway: like the webhook, ``X-Guanxi-Signature: sha256=<hex
  HMAC-SHA256 of "<X-Guanxi-Timestamp>.<body>">``.

Answers are classified: success → sent (the provider's message id kept);
throttling, the provider's internal errors, HTTP 429/5xx, timeouts → retry
later; a bad number → failed and the number suppressed; any other refusal
(template, sign name, keys, parameters) → failed. Neither the number nor a key
is ever put in a log or an error: codes only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from guanxi.messaging.channels.base import Envelope, Result, failed, retry, sent
from guanxi.messaging.channels.network import Answer, UrlRefused, post, url_target
from guanxi.messaging.channels.webhook import signature as gateway_signature

ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
TENCENT_ENDPOINT = "https://sms.tencentcloudapi.com/"
PROVIDERS = ("aliyun", "tencent", "http")

# GSM 03.38: the default alphabet (one septet each) and its extension table
# (an escape and a septet: two each). Text entirely in them goes as GSM-7.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsLength:
    """How an SMS text is carried: ``encoding`` (``gsm7`` or ``ucs2``), its
    length in that encoding's units and the number of messages (parts)."""

    encoding: str
    units: int
    segments: int


def sms_length(text: str) -> SmsLength:
    """GSM-7 text: 160 septets in one SMS, 153 per part of a long one;
    anything else (Chinese) goes as UCS-2: 70 characters in one, 67 per part
    (a character outside the BMP, an emoji, takes two)."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text):
        units = sum(2 if c in _GSM_EXTENSION else 1 for c in text)
        single, part, encoding = 160, 153, "gsm7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "ucs2"
    segments = 1 if units <= single else math.ceil(units / part)
    return SmsLength(encoding, units, segments)


@dataclass(frozen=True)
class SmsSettings:
    provider: str
    key_id: str
    key_secret: str
    sign_name: str = ""
    template: str = ""
    template_params: tuple[str, ...] = ()
    text_param: str = "content"
    app_id: str = ""
    region: str = ""
    endpoint: str = ""
    max_segments: int = 3
    allow_loopback_http: bool = False

    def shown_text(self, text: str) -> str:
        """What the phone shows: the provider puts the sign name in front."""
        return f"【{self.sign_name}】{text}" if self.sign_name else text


def percent_encode(value: str) -> str:
    """Aliyun's encoding: RFC 3986 unreserved characters kept, all else
    ``%XY`` of its UTF-8 bytes (a space is ``%20``, ``*`` is ``%2A``)."""
    return quote(value, safe="-_.~")


def aliyun_signature(secret: str, method: str, params: dict[str, str]) -> str:
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
    )
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    mac = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def _hmac256(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tencent_authorization(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    content_type: str,
    body: bytes,
    timestamp: int,
) -> str:
    """The ``Authorization`` header of a TC3-HMAC-SHA256 signed POST."""
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    signed_headers = "content-type;host"
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            # Names and values in lower case, trimmed (the reference).
            f"content-type:{content_type.strip().lower()}\nhost:{host.strip().lower()}\n",
            signed_headers,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = _hmac256(("TC3" + secret_key).encode(), date)
    key = _hmac256(key, service)
    key = _hmac256(key, "tc3_request")
    mac = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={mac}"
    )


def _code(value: Any) -> str:
    """A provider's code, safe for the log: letters, digits, ``._-`` only."""
    text = str(value or "")[:80]
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c in "._-"))


# Aliyun SendSms error codes (help.aliyun.com, 短信服务 API 错误码).
ALIYUN_RETRY = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",  # per-number minute/hour/day limits
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",  # a top-up fixes it
        "isp.SYSTEM_ERROR",
        "isp.RAM_PERMISSION_DENY_BY_THROTTLING",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "ServiceUnavailable",
        "InternalError",
    }
)
ALIYUN_BAD_NUMBER = frozenset({"isv.MOBILE_NUMBER_ILLEGAL"})


def aliyun_classify(answer: Answer) -> Result:
    data = answer.json_object()
    code = _code(data.get("Code"))
    if code == "OK":
        return sent(_code(data.get("BizId")))
    if code in ALIYUN_BAD_NUMBER:
        return failed(f"sms aliyun: {code}", suppress_address=True)
    if code in ALIYUN_RETRY or code.startswith("Throttling"):
        return retry(f"sms aliyun: {code}")
    if not code:
        return _by_status("sms aliyun", answer.status)
    return failed(f"sms aliyun: {code}")


# Tencent Cloud SMS error codes (cloud.tencent.com, SendSms 错误码).
TENCENT_BAD_NUMBER = frozenset(
    {
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberInBlacklist",  # the subscriber said no
        "FailedOperation.PhoneNumberParseFail",
    }
)
TENCENT_RETRY_PREFIXES = (
    "RequestLimitExceeded",
    "LimitExceeded.",
    "InternalError",
    "ResourceUnavailable",
)
TENCENT_RETRY = frozenset({"FailedOperation.InsufficientBalanceInSmsPackage"})


def _tencent_code(code: str) -> Result:
    if code in TENCENT_BAD_NUMBER:
        return failed(f"sms tencent: {code}", suppress_address=True)
    if code in TENCENT_RETRY or code.startswith(TENCENT_RETRY_PREFIXES):
        return retry(f"sms tencent: {code}")
    return failed(f"sms tencent: {code}")


def tencent_classify(answer: Answer) -> Result:
    response = answer.json_object().get("Response")
    if not isinstance(response, dict):
        return _by_status("sms tencent", answer.status)
    error = response.get("Error")
    if isinstance(error, dict):
        return _tencent_code(_code(error.get("Code")) or "Error")
    statuses = response.get("SendStatusSet")
    if not isinstance(statuses, list) or not statuses:
        return _by_status("sms tencent", answer.status)
    first = statuses[0] if isinstance(statuses[0], dict) else {}
    code = _code(first.get("Code"))
    if code.lower() == "ok":
        return sent(_code(first.get("SerialNo")))
    return _tencent_code(code or "Error")


def _by_status(name: str, status: int) -> Result:
    if status in {408, 429} or status >= 500:
        return retry(f"{name}: HTTP {status}")
    if 200 <= status < 300:
        return failed(f"{name}: unreadable answer")
    return failed(f"{name}: HTTP {status}")


def gateway_classify(answer: Answer) -> Result:
    """The HTTP gateway: 2xx sent (``{"id": …}`` kept), 408/429/5xx retry,
    ``{"error": "invalid_number"}`` failed and the number suppressed, any
    other answer failed."""
    data = answer.json_object()
    if 200 <= answer.status < 300:
        return sent(_code(data.get("id")))
    if answer.status in {408, 429} or answer.status >= 500:
        return retry(f"sms gateway: HTTP {answer.status}")
    error = _code(data.get("error"))
    suffix = f" {error}" if error else ""
    return failed(
        f"sms gateway: HTTP {answer.status}{suffix}",
        suppress_address=error == "invalid_number",
    )


#: (body, headers, how to read the answer) of one provider's request.
_Request = tuple[bytes, dict[str, str], Callable[[Answer], Result]]


class SmsSender:
    """One sender for the configured provider."""

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    def close(self) -> None:
        pass

    def _params(self, envelope: Envelope) -> list[str]:
        if self.settings.template_params:
            return [envelope.values.get(n, "") for n in self.settings.template_params]
        return [envelope.text.strip()]

    def send(self, envelope: Envelope) -> Result:
        s = self.settings
        if not s.template_params:
            length = sms_length(s.shown_text(envelope.text.strip()))
            if length.segments > s.max_segments:
                return failed(f"sms too long: {length.segments} parts")
        default = {"aliyun": ALIYUN_ENDPOINT, "tencent": TENCENT_ENDPOINT}.get(
            s.provider, ""
        )
        try:
            target = url_target(
                s.endpoint or default, allow_loopback_http=s.allow_loopback_http
            )
        except UrlRefused as error:
            return failed(f"sms refused: {error.message}")
        if s.provider == "aliyun":
            body, headers, classify = self._aliyun(envelope)
        elif s.provider == "tencent":
            body, headers, classify = self._tencent(envelope, target.host, target.port)
        else:
            body, headers, classify = self._gateway(envelope)
        try:
            answer = post(target, body=body, headers=headers)
        except (OSError, TimeoutError) as error:
            return retry(f"sms {target.host}: {type(error).__name__}")
        return classify(answer)

    def _aliyun(self, envelope: Envelope) -> _Request:
        s = self.settings
        phone = envelope.to
        # Mainland numbers without +86; others as country code and number.
        phone = phone[3:] if phone.startswith("+86") else phone.lstrip("+")
        values = self._params(envelope)
        template_param = (
            dict(zip(s.template_params, values, strict=True))
            if s.template_params
            else {s.text_param: values[0]}
        )
        params = {
            "AccessKeyId": s.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": envelope.key,
            "PhoneNumbers": phone,
            "RegionId": s.region or "cn-hangzhou",
            "SignName": s.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": s.template,
            "TemplateParam": json.dumps(
                template_param, ensure_ascii=False, separators=(",", ":")
            ),
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(s.key_secret, "POST", params)
        body = urlencode(params, quote_via=quote, safe="-_.~").encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return body, headers, aliyun_classify

    def _tencent(self, envelope: Envelope, host: str, port: int) -> _Request:
        s = self.settings
        body = json.dumps(
            {
                "PhoneNumberSet": [envelope.to],
                "SmsSdkAppId": s.app_id,
                "SignName": s.sign_name,
                "TemplateId": s.template,
                "TemplateParamSet": self._params(envelope),
                "SessionContext": envelope.key,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        host_header = host if port in {80, 443} else f"{host}:{port}"
        content_type = "application/json; charset=utf-8"
        timestamp = int(time.time())
        headers = {
            "Content-Type": content_type,
            "Host": host_header,
            "X-TC-Action": "SendSms",
            "X-TC-Version": "2021-01-11",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": s.region or "ap-guangzhou",
            "Authorization": tencent_authorization(
                secret_id=s.key_id,
                secret_key=s.key_secret,
                service="sms",
                host=host_header,
                content_type=content_type,
                body=body,
                timestamp=timestamp,
            ),
        }
        return body, headers, tencent_classify

    def _gateway(self, envelope: Envelope) -> _Request:
        body = json.dumps(
            {
                "id": envelope.key,
                "to": envelope.to,
                "text": self.settings.shown_text(envelope.text.strip()),
                "purpose": envelope.purpose,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Guanxi-Timestamp": timestamp,
            "X-Guanxi-Signature": gateway_signature(
                self.settings.key_secret, timestamp, body
            ),
            "Idempotency-Key": envelope.key,
        }
        return body, headers, gateway_classify
