"""SMS delivery receipts: a message is sent through a provider's local
server, then the provider's report is posted to Guanxi as it would be."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from guanxi.messaging.models import Message, MessageEvent
from guanxi.messaging.services import broadcast_send, messages_dispatch
from guanxi.messaging.tests.servers import SMS_SECRET, ProviderRecorder, sms_provider

pytestmark = pytest.mark.django_db
TOKEN = "r3ceipt-t0ken-for-tests"
URL = f"/m/sms/receipts/?token={TOKEN}"
CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")


def _sent_message(make_customer: Any) -> Message:
    make_customer(phone="+8613800138010")
    broadcast_send(
        channel="sms",
        purpose="service",
        template_text="{{ name }}，包裹已到。",
        audience="all",
    )
    assert messages_dispatch() == {"sent": 1}
    return Message.objects.get()


@pytest.fixture
def aliyun(settings: Any) -> Iterator[ProviderRecorder]:
    settings.GUANXI_SMS_RECEIPT_TOKEN = TOKEN
    with sms_provider("aliyun", settings) as recorder:
        yield recorder


def _post(body: Any, **headers: str) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Client().post(URL, raw, content_type="application/json", headers=headers)


def test_an_aliyun_report_is_recorded_once(
    aliyun: ProviderRecorder, make_customer: Any
) -> None:
    message = _sent_message(make_customer)
    report = {
        "phone_number": "13800138010",
        "send_time": "2026-12-05 10:00:00",
        "report_time": "2026-12-05 10:00:03",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "1",
        "biz_id": message.provider_id,
        "out_id": message.idempotency_key,
    }
    response = _post([report])
    assert (response.status_code, response.json()) == (200, {"code": 0, "msg": "成功"})
    assert _post([report]).status_code == 200  # pushed again: recorded once
    event = MessageEvent.objects.get()
    assert (event.message_id, event.kind, event.code) == (
        message.pk,
        "delivered",
        "DELIVERED",
    )
    assert event.occurred_at == dt.datetime(2026, 12, 5, 10, 0, 3, tzinfo=CHINA)


def test_an_aliyun_report_must_name_both_ids_of_a_sent_message(
    aliyun: ProviderRecorder, make_customer: Any
) -> None:
    message = _sent_message(make_customer)
    forged = [
        {"biz_id": message.provider_id, "out_id": "0" * 40, "success": False},
        {"biz_id": "biz-999", "out_id": message.idempotency_key, "success": False},
        {"success": False},
    ]
    assert _post(forged).status_code == 200
    assert MessageEvent.objects.count() == 0


def test_a_wrong_token_or_no_token_is_no_page(
    aliyun: ProviderRecorder, make_customer: Any, settings: Any
) -> None:
    message = _sent_message(make_customer)
    report = [{"biz_id": message.provider_id, "out_id": message.idempotency_key}]
    raw = json.dumps(report)
    response = Client().post(
        "/m/sms/receipts/?token=guessed", raw, content_type="application/json"
    )
    assert response.status_code == 404
    response = Client().post("/m/sms/receipts/", raw, content_type="application/json")
    assert response.status_code == 404
    settings.GUANXI_SMS_RECEIPT_TOKEN = ""
    assert _post(report).status_code == 404
    assert MessageEvent.objects.count() == 0


def test_a_body_that_is_not_reports_is_refused(
    aliyun: ProviderRecorder, make_customer: Any
) -> None:
    response = _post(b"<xml/>")
    assert (response.status_code, response.json()) == (400, {"error": "not JSON"})
    response = _post([{}] * 1001)
    assert (response.status_code, response.json()) == (
        400,
        {"error": "not a list of reports"},
    )


def test_a_tencent_report_of_failure_is_recorded(
    settings: Any, make_customer: Any
) -> None:
    settings.GUANXI_SMS_RECEIPT_TOKEN = TOKEN
    with sms_provider("tencent", settings):
        message = _sent_message(make_customer)
    report = {
        "user_receive_time": "2026-12-05 10:00:09",
        "nationcode": "86",
        "mobile": "13800138010",
        "report_status": "FAIL",
        "errmsg": "MK:0005",
        "description": "用户无法接收",
        "sid": message.provider_id,
    }
    response = _post([report])
    assert (response.status_code, response.json()) == (
        200,
        {"result": 0, "errmsg": "OK"},
    )
    event = MessageEvent.objects.get()
    assert (event.message_id, event.kind, event.code) == (
        message.pk,
        "undelivered",
        "MK:0005",
    )


def _signed(body: bytes, secret: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    return {
        "X-Guanxi-Timestamp": stamp,
        "X-Guanxi-Signature": "sha256=" + mac.hexdigest(),
    }


def test_the_gateway_signs_its_reports(settings: Any, make_customer: Any) -> None:
    settings.GUANXI_SMS_RECEIPT_TOKEN = TOKEN
    with sms_provider("http", settings):
        message = _sent_message(make_customer)
    body = json.dumps(
        [
            {
                "id": message.idempotency_key,
                "status": "delivered",
                "code": "DELIVRD",
                "time": "2026-12-05T02:00:05+00:00",
            }
        ]
    ).encode()
    refused = _post(body, **_signed(body, "not-the-secret"))
    assert (refused.status_code, refused.json()) == (400, {"error": "bad signature"})
    assert MessageEvent.objects.count() == 0
    response = _post(body, **_signed(body, SMS_SECRET))
    assert (response.status_code, response.json()) == (200, {"ok": True})
    event = MessageEvent.objects.get()
    assert (event.message_id, event.kind, event.occurred_at) == (
        message.pk,
        "delivered",
        dt.datetime(2026, 12, 5, 2, 0, 5, tzinfo=dt.UTC),
    )
