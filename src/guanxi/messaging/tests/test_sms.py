"""SMS through Aliyun, Tencent Cloud and an HTTP gateway: local servers on
127.0.0.1 check each request's signature as the provider documents it and
answer as a test scripts; what they received is asserted."""

from __future__ import annotations

import datetime as dt
import json
import logging
import zoneinfo
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from tests.outbox import consent_set

from guanxi.core.errors import ValidationFailed
from guanxi.messaging.channels.base import Result
from guanxi.messaging.channels.network import Answer
from guanxi.messaging.channels.sms import (
    aliyun_classify,
    aliyun_signature,
    gateway_classify,
    sms_length,
    tencent_classify,
)
from guanxi.messaging.models import Message, SuppressedAddress
from guanxi.messaging.services import broadcast_send, messages_dispatch
from guanxi.messaging.tests.servers import (
    SMS_KEY_ID,
    SMS_SECRET,
    SMS_SIGN,
    ProviderRecorder,
    sms_provider,
)

KEY_ID = SMS_KEY_ID
SECRET = SMS_SECRET
SIGN = SMS_SIGN
TEMPLATE = "{{ name }}您好，您的订单已发货。"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


# --- length -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, ("gsm7", 160, 1)),
        ("a" * 161, ("gsm7", 161, 2)),
        ("a" * 306, ("gsm7", 306, 2)),
        ("a" * 307, ("gsm7", 307, 3)),
        ("[" * 80, ("gsm7", 160, 1)),  # extension characters take two
        ("€" * 81, ("gsm7", 162, 2)),
        ("茶" * 70, ("ucs2", 70, 1)),
        ("茶" * 71, ("ucs2", 71, 2)),
        ("茶" * 134, ("ucs2", 134, 2)),
        ("茶" * 135, ("ucs2", 135, 3)),
        ("a" * 69 + "茶", ("ucs2", 70, 1)),  # one Chinese character: all UCS-2
        ("🍵" * 35, ("ucs2", 70, 1)),  # outside the BMP: two each
    ],
)
def test_sms_length_counts_parts(text: str, expected: tuple[str, int, int]) -> None:
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == expected


# --- signing ------------------------------------------------------------------


def test_aliyun_signature_matches_the_published_example() -> None:
    # The worked example of Aliyun's "Signature mechanism" page (RPC, 1.0).
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert (
        aliyun_signature("testsecret", "GET", params) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    )


# --- classification -------------------------------------------------------------


def _answer(status: int, body: dict[str, Any]) -> Answer:
    return Answer(status=status, body=json.dumps(body).encode())


def _check(result: Result, expected: tuple[str, str, bool, str]) -> None:
    """``expected``: (outcome, the end of the code, suppress, provider id)."""
    outcome, code, suppress, provider_id = expected
    assert (result.outcome.value, result.suppress_address, result.provider_id) == (
        outcome,
        suppress,
        provider_id,
    )
    assert result.code.endswith(code)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"Code": "OK", "BizId": "9^1"}, ("sent", "", False, "91")),
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL"}, ("retry", "isv.BUSINESS_LIMIT_CONTROL", False, "")),
        (200, {"Code": "Throttling.User"}, ("retry", "Throttling.User", False, "")),
        (500, {"Code": "isp.SYSTEM_ERROR"}, ("retry", "isp.SYSTEM_ERROR", False, "")),
        (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL"}, ("failed", "isv.MOBILE_NUMBER_ILLEGAL", True, "")),
        (200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL"}, ("failed", "isv.SMS_TEMPLATE_ILLEGAL", False, "")),
        (200, {"Code": "isv.SMS_SIGNATURE_ILLEGAL"}, ("failed", "isv.SMS_SIGNATURE_ILLEGAL", False, "")),
        (400, {"Code": "SignatureDoesNotMatch"}, ("failed", "SignatureDoesNotMatch", False, "")),
        (503, {}, ("retry", "HTTP 503", False, "")),
    ],
)  # fmt: skip
def test_aliyun_answers_are_classified(
    status: int, body: dict[str, Any], expected: tuple[str, str, bool, str]
) -> None:
    _check(aliyun_classify(_answer(status, body)), expected)


def _tencent(code: str) -> dict[str, Any]:
    return {"Response": {"SendStatusSet": [{"Code": code, "SerialNo": "s-1"}]}}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, _tencent("Ok"), ("sent", "", False, "s-1")),
        (200, _tencent("LimitExceeded.PhoneNumberThirtySecondLimit"), ("retry", "LimitExceeded.PhoneNumberThirtySecondLimit", False, "")),
        (200, {"Response": {"Error": {"Code": "RequestLimitExceeded"}}}, ("retry", "RequestLimitExceeded", False, "")),
        (200, {"Response": {"Error": {"Code": "InternalError.Timeout"}}}, ("retry", "InternalError.Timeout", False, "")),
        (200, _tencent("InvalidParameterValue.IncorrectPhoneNumber"), ("failed", "InvalidParameterValue.IncorrectPhoneNumber", True, "")),
        (200, _tencent("FailedOperation.TemplateIncorrectOrUnapproved"), ("failed", "FailedOperation.TemplateIncorrectOrUnapproved", False, "")),
        (200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure"}}}, ("failed", "AuthFailure.SignatureFailure", False, "")),
        (502, {}, ("retry", "HTTP 502", False, "")),
    ],
)  # fmt: skip
def test_tencent_answers_are_classified(
    status: int, body: dict[str, Any], expected: tuple[str, str, bool, str]
) -> None:
    _check(tencent_classify(_answer(status, body)), expected)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"id": "gw-7"}, ("sent", "", False, "gw-7")),
        (429, {}, ("retry", "HTTP 429", False, "")),
        (422, {"error": "invalid_number"}, ("failed", "HTTP 422 invalid_number", True, "")),
        (400, {"error": "bad template"}, ("failed", "HTTP 400 badtemplate", False, "")),
    ],
)  # fmt: skip
def test_gateway_answers_are_classified(
    status: int, body: dict[str, Any], expected: tuple[str, str, bool, str]
) -> None:
    _check(gateway_classify(_answer(status, body)), expected)


# --- end to end -------------------------------------------------------------------


@pytest.fixture(params=["aliyun", "tencent", "http"])
def provider(request: Any, settings: Any) -> Iterator[tuple[str, ProviderRecorder]]:
    with sms_provider(request.param, settings) as recorder:
        yield request.param, recorder


@pytest.fixture
def aliyun(settings: Any) -> Iterator[ProviderRecorder]:
    """Aliyun's server only: for what is the same whatever the provider."""
    with sms_provider("aliyun", settings) as recorder:
        yield recorder


def _sent(name: str, received: dict[str, Any]) -> tuple[str, str]:
    """(phone, text) of what a server accepted, read its provider's way."""
    if name == "aliyun":
        phone = received["PhoneNumbers"]
        return phone, json.loads(received["TemplateParam"])["content"]
    if name == "tencent":
        return received["PhoneNumberSet"][0], received["TemplateParamSet"][0]
    return received["to"], received["text"]


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _send_command(
    tmp_path: Path, *, purpose: str = "service", text: str = TEMPLATE
) -> Any:
    path = tmp_path / "sms.txt"
    path.write_text(text, encoding="utf-8")
    out = _run(
        "send",
        "--channel",
        "sms",
        "--audience",
        "all",
        "--purpose",
        purpose,
        "--template",
        str(path),
        "--json",
    )
    return json.loads(out)


@pytest.mark.django_db
def test_guanxi_send_sms_arrives_signed_once_each_with_the_provider_id(
    provider: tuple[str, ProviderRecorder],
    make_customer: Any,
    tmp_path: Path,
    caplog: Any,
) -> None:
    name, server = provider
    a = make_customer(name="王芳", phone="+8613800138001")
    b = make_customer(name="李雷", phone="+8613800138002")
    # Throttled first (each provider's way), then accepted.
    server.answers[:] = [
        {
            "aliyun": (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL"}),
            "tencent": (200, {"Code": "LimitExceeded.PhoneNumberThirtySecondLimit"}),
            "http": (503, {}),
        }[name]
    ]
    assert _send_command(tmp_path) == {"queued": 2, "suppressed": {}}
    with caplog.at_level(logging.DEBUG):
        # The retry is due at once (no backoff in tests): sent in the same run.
        assert messages_dispatch() == {"retry": 1, "sent": 2}
        assert messages_dispatch() == {}
    assert server.bad_signatures == 0
    assert server.requests == 3
    got = sorted(_sent(name, r) for r in server.received)
    if name == "aliyun":  # mainland numbers without +86
        assert got == [("13800138001", "王芳您好，您的订单已发货。"), ("13800138002", "李雷您好，您的订单已发货。")]  # fmt: skip
    elif name == "tencent":
        assert got == [("+8613800138001", "王芳您好，您的订单已发货。"), ("+8613800138002", "李雷您好，您的订单已发货。")]  # fmt: skip
    else:  # the gateway is given the text as the phone shows it
        assert got == [("+8613800138001", "【关系茶庄】王芳您好，您的订单已发货。"), ("+8613800138002", "【关系茶庄】李雷您好，您的订单已发货。")]  # fmt: skip
    rows = Message.objects.order_by("customer_id")
    assert [(m.customer_id, m.status) for m in rows] == [(a.pk, "sent"), (b.pk, "sent")]
    ids = sorted(m.provider_id for m in rows)
    prefix = {"aliyun": "biz-", "tencent": "serial-", "http": "gw-"}[name]
    assert ids == [f"{prefix}1", f"{prefix}2"]
    # The idempotency key travels as the provider's own reference.
    field = {"aliyun": "OutId", "tencent": "SessionContext", "http": "key"}[name]
    assert {r[field] for r in server.received} == {m.idempotency_key for m in rows}
    for secret in (SECRET, "13800138001", "13800138002"):
        assert secret not in caplog.text
        assert not Message.objects.filter(last_error__contains=secret).exists()


@pytest.mark.django_db
def test_a_wrong_secret_is_caught_by_thesms_provider(
    provider: tuple[str, ProviderRecorder], make_customer: Any, settings: Any
) -> None:
    name, server = provider
    make_customer()
    settings.GUANXI_SMS_KEY_SECRET = "not-the-providers"
    broadcast_send(
        channel="sms", purpose="service", template_text=TEMPLATE, audience="all"
    )
    assert messages_dispatch() == {"failed": 1}
    assert (server.bad_signatures, server.received) == (1, [])
    assert (
        Message.objects.get().last_error
        == {
            "aliyun": "sms aliyun: SignatureDoesNotMatch",
            "tencent": "sms tencent: AuthFailure.SignatureFailure",
            "http": "sms gateway: HTTP 401 bad_signature",
        }[name]
    )


@pytest.mark.django_db
def test_a_bad_number_fails_once_and_is_suppressed(
    provider: tuple[str, ProviderRecorder], make_customer: Any
) -> None:
    name, server = provider
    make_customer(phone="+8613800138003")
    server.answers[:] = [
        {
            "aliyun": (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL"}),
            "tencent": (200, {"Code": "InvalidParameterValue.IncorrectPhoneNumber"}),
            "http": (422, {"error": "invalid_number"}),
        }[name]
    ]
    broadcast_send(
        channel="sms", purpose="service", template_text=TEMPLATE, audience="all"
    )
    assert messages_dispatch() == {"failed": 1}
    assert server.requests == 1
    assert SuppressedAddress.objects.filter(channel="sms").count() == 1
    again = broadcast_send(
        channel="sms", purpose="service", template_text=TEMPLATE, audience="all"
    )
    assert again.as_dict() == {"queued": 0, "suppressed": {"address_suppressed": 1}}
    assert server.requests == 1


@pytest.mark.django_db
def test_a_template_refusal_fails_without_suppressing(
    provider: tuple[str, ProviderRecorder], make_customer: Any
) -> None:
    name, server = provider
    make_customer()
    server.answers[:] = [
        {
            "aliyun": (200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL"}),
            "tencent": (200, {"Code": "FailedOperation.TemplateIncorrectOrUnapproved"}),
            "http": (400, {"error": "template"}),
        }[name]
    ]
    broadcast_send(
        channel="sms", purpose="service", template_text=TEMPLATE, audience="all"
    )
    assert messages_dispatch() == {"failed": 1}
    assert SuppressedAddress.objects.count() == 0


@pytest.mark.django_db
def test_marketing_sms_needs_consent_on_sms(
    aliyun: ProviderRecorder, make_customer: Any
) -> None:
    yes = make_customer(phone="+8613800138004")
    make_customer(phone="+8613800138005")
    email_only = make_customer(phone="+8613800138006")
    consent_set(yes, channel="sms")
    consent_set(email_only)
    count = broadcast_send(
        channel="sms", purpose="marketing", template_text=TEMPLATE, audience="all"
    )
    assert count.as_dict() == {"queued": 1, "suppressed": {"no_consent": 2}}
    assert messages_dispatch() == {"sent": 1}
    assert [r["PhoneNumbers"] for r in aliyun.received] == ["13800138004"]


@pytest.mark.django_db
def test_consent_withdrawn_after_queueing_suppresses_at_send_time(
    aliyun: ProviderRecorder, make_customer: Any
) -> None:
    customer = make_customer()
    consent_set(customer, channel="sms")
    broadcast_send(
        channel="sms", purpose="marketing", template_text=TEMPLATE, audience="all"
    )
    consent_set(customer, channel="sms", granted=False, source="unsubscribe")
    assert messages_dispatch() == {"suppressed": 1}
    assert Message.objects.get().reason == "no_consent"
    assert aliyun.requests == 0


@pytest.mark.django_db
def test_quiet_hours_defer_marketing_sms_but_not_service(
    aliyun: ProviderRecorder, make_customer: Any, settings: Any
) -> None:
    settings.GUANXI_QUIET_HOURS = "21:00-09:00"
    settings.TIME_ZONE = "Asia/Shanghai"
    customer = make_customer()
    consent_set(customer, channel="sms")
    broadcast_send(
        channel="sms", purpose="marketing", template_text=TEMPLATE, audience="all"
    )
    broadcast_send(
        channel="sms",
        purpose="service",
        template_text="{{ name }}，取货提醒。",
        audience="all",
    )
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    night = dt.datetime.combine(tomorrow, dt.time(23, 30), tzinfo=SHANGHAI)
    assert messages_dispatch(clock=lambda: night) == {"deferred": 1, "sent": 1}
    assert [json.loads(r["TemplateParam"])["content"] for r in aliyun.received] == [
        "张伟，取货提醒。"
    ]
    deferred = Message.objects.get(purpose="marketing")
    assert deferred.status == "queued"
    assert deferred.next_attempt_at == dt.datetime.combine(
        tomorrow + dt.timedelta(days=1), dt.time(9, 0), tzinfo=SHANGHAI
    )


@pytest.mark.django_db
def test_named_template_parameters_instead_of_the_text(
    aliyun: ProviderRecorder, make_customer: Any, settings: Any
) -> None:
    settings.GUANXI_SMS_TEMPLATE_PARAMS = "name, store"
    settings.GUANXI_STORE_NAME = "静安店"
    make_customer(name="王芳")
    broadcast_send(
        channel="sms", purpose="service", template_text=TEMPLATE, audience="all"
    )
    assert messages_dispatch() == {"sent": 1}
    (received,) = aliyun.received
    assert json.loads(received["TemplateParam"]) == {"name": "王芳", "store": "静安店"}
    assert (received["SignName"], received["TemplateCode"]) == (SIGN, "SMS_1234")


# --- refused before anything is queued ----------------------------------------------


@pytest.mark.django_db
def test_a_template_too_long_for_the_allowed_parts_is_refused(
    aliyun: ProviderRecorder, make_customer: Any, settings: Any, tmp_path: Path
) -> None:
    make_customer()
    settings.GUANXI_SMS_MAX_SEGMENTS = 2
    # 【关系茶庄】 (6) + 张伟 (2) + 130 = 138 characters: three parts of 67.
    with pytest.raises(CommandError) as caught:
        _send_command(tmp_path, text="{{ name }}" + "茶" * 130)
    assert str(caught.value) == (
        "The SMS is 138 characters long with sample values: 3 parts, more than "
        "the 2 allowed (GUANXI_SMS_MAX_SEGMENTS)."
    )
    assert Message.objects.count() == 0
    # Two parts pass.
    assert _send_command(tmp_path, text="{{ name }}" + "茶" * 126) == {
        "queued": 1,
        "suppressed": {},
    }


@pytest.mark.django_db
def test_a_message_over_the_parts_at_send_time_fails(
    aliyun: ProviderRecorder, make_customer: Any, settings: Any
) -> None:
    make_customer(name="欧阳" + "名" * 70)  # a name far longer than the sample
    settings.GUANXI_SMS_MAX_SEGMENTS = 1
    broadcast_send(
        channel="sms",
        purpose="service",
        template_text="{{ name }}，到了。",
        audience="all",
    )
    assert messages_dispatch() == {"failed": 1}
    assert Message.objects.get().last_error == "sms too long: 2 parts"
    assert aliyun.requests == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"GUANXI_SMS_PROVIDER": ""}, "SMS is not set up: set GUANXI_SMS_PROVIDER."),
        (
            {"GUANXI_SMS_PROVIDER": "twilio"},
            "GUANXI_SMS_PROVIDER is aliyun, tencent or http, not 'twilio'.",
        ),
        (
            {"GUANXI_SMS_PROVIDER": "aliyun", "GUANXI_SMS_KEY_SECRET": "", "GUANXI_SMS_SIGN_NAME": ""},
            "SMS is not set up: set GUANXI_SMS_KEY_SECRET, GUANXI_SMS_SIGN_NAME.",
        ),
        (
            {"GUANXI_SMS_PROVIDER": "tencent", "GUANXI_SMS_APP_ID": ""},
            "SMS is not set up: set GUANXI_SMS_APP_ID.",
        ),
        (
            {"GUANXI_SMS_PROVIDER": "http", "GUANXI_SMS_ENDPOINT": ""},
            "SMS is not set up: set GUANXI_SMS_ENDPOINT.",
        ),
        (
            {"GUANXI_SMS_PROVIDER": "aliyun", "GUANXI_SMS_TEMPLATE_PARAMS": "name,phone"},
            "GUANXI_SMS_TEMPLATE_PARAMS names 'phone', not a template variable "
            "(name, city, manager, store, product, coupon_code, survey_url, "
            "preferences_url).",
        ),
    ],
)  # fmt: skip
def test_bad_sms_settings_are_refused_at_send_time(
    make_customer: Any,
    settings: Any,
    tmp_path: Path,
    values: dict[str, str],
    message: str,
) -> None:
    make_customer()
    settings.GUANXI_SMS_KEY_ID = KEY_ID
    settings.GUANXI_SMS_KEY_SECRET = SECRET
    settings.GUANXI_SMS_SIGN_NAME = SIGN
    settings.GUANXI_SMS_TEMPLATE = "SMS_1"
    settings.GUANXI_SMS_APP_ID = "1400000000"
    settings.GUANXI_SMS_ENDPOINT = "https://sms.example.com/send"
    settings.GUANXI_SMS_TEMPLATE_PARAMS = ""
    for name, value in values.items():
        setattr(settings, name, value)
    with pytest.raises(CommandError) as caught:
        _send_command(tmp_path)
    assert str(caught.value) == message
    assert SECRET not in str(caught.value)
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_the_settings_message_is_in_chinese_too(
    make_customer: Any, settings: Any
) -> None:
    make_customer()
    settings.GUANXI_SMS_PROVIDER = "aliyun"
    settings.GUANXI_SMS_KEY_ID = KEY_ID
    settings.GUANXI_SMS_KEY_SECRET = ""
    settings.GUANXI_SMS_SIGN_NAME = SIGN
    settings.GUANXI_SMS_TEMPLATE = "SMS_1"
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as caught:
        broadcast_send(
            channel="sms", purpose="service", template_text=TEMPLATE, audience="all"
        )
    assert caught.value.message == "尚未配置短信：请设置 GUANXI_SMS_KEY_SECRET。"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("endpoint", "loopback", "error"),
    [
        (
            "https://10.0.0.7/sms",
            True,
            "sms refused: The host 10.0.0.7 is not a public address.",
        ),
        (
            "https://169.254.169.254/",
            True,
            "sms refused: The host 169.254.169.254 is not a public address.",
        ),
        ("http://203.0.113.9/sms", True, "sms refused: Only HTTPS URLs are allowed."),
        ("http://127.0.0.1:9/sms", False, "sms refused: Only HTTPS URLs are allowed."),
    ],
)
def test_the_endpoint_goes_through_the_outbound_guard(
    aliyun: ProviderRecorder,
    make_customer: Any,
    settings: Any,
    endpoint: str,
    loopback: bool,
    error: str,
) -> None:
    make_customer()
    settings.GUANXI_SMS_ENDPOINT = endpoint
    settings.GUANXI_CHANNELS_LOOPBACK_HTTP = loopback
    broadcast_send(
        channel="sms", purpose="service", template_text=TEMPLATE, audience="all"
    )
    assert messages_dispatch() == {"failed": 1}
    assert Message.objects.get().last_error == error
    assert aliyun.requests == 0
