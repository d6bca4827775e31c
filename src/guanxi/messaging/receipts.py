"""SMS delivery receipts: what the provider reports after a message was sent
(the phone got it, or not), recorded as events on the message.

The provider posts to ``/m/sms/receipts/?token=<GUANXI_SMS_RECEIPT_TOKEN>``: Aliyun
and Tencent do not sign their callbacks, so the unguessable token in the URL is
what shows the request comes from whoever was given it, and each report must
name a message that was sent on SMS with that provider id (Aliyun's report also
carries our ``out_id``, the message's idempotency key, and both must match).
The HTTP gateway signs its reports like the webhook (``X-Guanxi-Signature``
under ``GUANXI_SMS_KEY_SECRET``). Reports that name no such message are
counted and dropped; a report pushed twice is recorded once. Phone numbers in
the reports are never read or kept.

Formats (each provider's documentation):

- Aliyun (SmsReport): a JSON array of ``{"biz_id", "out_id", "success",
  "err_code", "report_time": "YYYY-MM-DD hh:mm:ss", …}``; answered
  ``{"code": 0, "msg": "成功"}``.
- Tencent (status callback): a JSON array of ``{"sid", "report_status":
  "SUCCESS" | "FAIL", "errmsg", "user_receive_time", …}``; answered
  ``{"result": 0, "errmsg": "OK"}``.
- the gateway: a JSON array of ``{"id": <idempotency key>, "status":
  "delivered" | "failed", "code", "time": ISO 8601}``; answered ``{"ok": true}``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from guanxi.messaging.channel_settings import channel_setting
from guanxi.messaging.choices import MessageChannel, MessageStatus
from guanxi.messaging.events import message_event_record
from guanxi.messaging.models import Message, MessageEvent

MAX_BODY_BYTES = 1_000_000
MAX_REPORTS = 1000
CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")  # both providers' report times


class ReceiptRefused(Exception):
    """A receipt request that is not read at all (bad token, signature, body)."""


@dataclass(frozen=True)
class Report:
    """One delivery report: the message it names and what happened."""

    provider_id: str  # the provider's id ("" for the gateway)
    key: str  # our idempotency key ("" when the provider does not send it)
    delivered: bool
    code: str
    occurred_at: dt.datetime


ACKS: dict[str, dict[str, Any]] = {
    "aliyun": {"code": 0, "msg": "成功"},
    "tencent": {"result": 0, "errmsg": "OK"},
    "http": {"ok": True},
}


def _text(value: Any, limit: int = 64) -> str:
    return str(value if value is not None else "")[:limit]


def _china_time(value: Any, now: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=CHINA
        )
    except ValueError:
        return now


def _iso_time(value: Any, now: dt.datetime) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return now
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def receipt_token_ok(token: str) -> bool:
    expected = channel_setting("GUANXI_SMS_RECEIPT_TOKEN")
    return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())


def receipts_parse(
    *, provider: str, body: bytes, headers: Any, now: dt.datetime
) -> list[Report]:
    """The reports in a callback's body. Raises :class:`ReceiptRefused`."""
    if len(body) > MAX_BODY_BYTES:
        raise ReceiptRefused("too large")
    if provider == "http":
        stamp = str(headers.get("X-Guanxi-Timestamp", ""))
        mac = hmac.new(
            channel_setting("GUANXI_SMS_KEY_SECRET").encode(),
            stamp.encode() + b"." + body,
            hashlib.sha256,
        )
        if not hmac.compare_digest(
            "sha256=" + mac.hexdigest(), str(headers.get("X-Guanxi-Signature", ""))
        ):
            raise ReceiptRefused("bad signature")
    try:
        rows = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ReceiptRefused("not JSON") from None
    if isinstance(rows, dict):
        rows = [rows]
    if not isinstance(rows, list) or len(rows) > MAX_REPORTS:
        raise ReceiptRefused("not a list of reports")
    reports = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        if provider == "aliyun":
            success = row.get("success") in {True, "true"}
            reports.append(
                Report(
                    provider_id=_text(row.get("biz_id")),
                    key=_text(row.get("out_id")),
                    delivered=success,
                    code=_text(row.get("err_code")),
                    occurred_at=_china_time(row.get("report_time"), now),
                )
            )
        elif provider == "tencent":
            reports.append(
                Report(
                    provider_id=_text(row.get("sid")),
                    key="",
                    delivered=row.get("report_status") == "SUCCESS",
                    code=_text(row.get("errmsg")),
                    occurred_at=_china_time(row.get("user_receive_time"), now),
                )
            )
        else:
            reports.append(
                Report(
                    provider_id="",
                    key=_text(row.get("id")),
                    delivered=row.get("status") == "delivered",
                    code=_text(row.get("code")),
                    occurred_at=_iso_time(row.get("time"), now),
                )
            )
    return reports


def sms_receipts_record(
    *, reports: list[Report], now: dt.datetime | None = None
) -> dict[str, int]:
    """Record the reports that name a sent SMS message; counts of
    ``recorded``, ``repeated`` (already recorded) and ``unknown``."""
    now = now or timezone.now()
    counts = {"recorded": 0, "repeated": 0, "unknown": 0}
    with transaction.atomic():
        for report in reports:
            found = Message.objects.filter(
                channel=MessageChannel.SMS, status=MessageStatus.SENT
            )
            if report.provider_id:
                found = found.filter(provider_id=report.provider_id)
            if report.key:
                found = found.filter(idempotency_key=report.key)
            message_id = (
                found.values_list("pk", flat=True).first()
                if report.provider_id or report.key
                else None
            )
            if message_id is None:
                counts["unknown"] += 1
                continue
            kind = (
                MessageEvent.Kind.DELIVERED
                if report.delivered
                else MessageEvent.Kind.UNDELIVERED
            )
            created = message_event_record(
                message_id=message_id,
                kind=kind,
                code=report.code,
                occurred_at=report.occurred_at,
                now=now,
            )
            counts["recorded" if created else "repeated"] += 1
    return counts
