"""WeCom: the external-contact API to customers and a staff group's robot,
against a local server that checks the corp secret, the tokens it issued and
the robot's key."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from tests.outbox import consent_set

from guanxi.customers.models import CustomerIdentity
from guanxi.messaging.channels.wecom import TOKENS
from guanxi.messaging.models import Message, SuppressedAddress
from guanxi.messaging.services import broadcast_send, messages_dispatch
from guanxi.messaging.tests.servers import ProviderRecorder, wecom_server

pytestmark = pytest.mark.django_db
CORP = "ww-test-corp"
SECRET = "corp-s3cret-for-tests"
ROBOT_KEY = "robot-key-0f9e"
TEMPLATE = "{{ name }}您好，新茶已到店。"


@pytest.fixture
def wecom(settings: Any) -> Iterator[ProviderRecorder]:
    recorder = ProviderRecorder(key_id=CORP, secret=SECRET, robot_key=ROBOT_KEY)
    with wecom_server(recorder) as port:
        settings.GUANXI_WECOM_MODE = "external"
        settings.GUANXI_WECOM_BASE_URL = f"http://127.0.0.1:{port}"
        settings.GUANXI_WECOM_CORP_ID = CORP
        settings.GUANXI_WECOM_SECRET = SECRET
        settings.GUANXI_WECOM_SENDER = "zhangsan"
        settings.GUANXI_WECOM_ROBOT_KEY = ROBOT_KEY
        settings.GUANXI_WECOM_ROBOT_FORMAT = "text"
        settings.GUANXI_CHANNELS_LOOPBACK_HTTP = True
        settings.GUANXI_QUIET_HOURS = ""
        settings.GUANXI_MESSAGE_RETRY_BASE_SECONDS = 0
        yield recorder
    TOKENS.clear()


def _customer(make_customer: Any, name: str, external_id: str | None) -> Any:
    customer = make_customer(name=name)
    if external_id:
        CustomerIdentity.objects.create(
            customer=customer, source="wecom", external_id=external_id
        )
    return customer


def _send(purpose: str = "service") -> dict[str, object]:
    return broadcast_send(
        channel="wecom", purpose=purpose, template_text=TEMPLATE, audience="all"
    ).as_dict()


def test_customers_get_it_through_the_external_contact_api(
    wecom: ProviderRecorder, make_customer: Any, tmp_path: Path, caplog: Any
) -> None:
    a = _customer(make_customer, "王芳", "wmA0001")
    b = _customer(make_customer, "李雷", "wmB0002")
    _customer(make_customer, "无企微", None)
    path = tmp_path / "wecom.txt"
    path.write_text(TEMPLATE, encoding="utf-8")
    out = StringIO()
    call_command(
        "send",
        "--channel",
        "wecom",
        "--audience",
        "all",
        "--purpose",
        "service",
        "--template",
        str(path),
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue()) == {
        "queued": 2,
        "suppressed": {"no_address": 1},
    }
    wecom.answers[:] = [(200, {"errcode": -1, "errmsg": "system busy"})]
    with caplog.at_level(logging.DEBUG):
        assert messages_dispatch() == {"retry": 1, "sent": 2}
    assert wecom.tokens_issued == 1  # one token for every message
    got = sorted(
        (r["external_userid"], r["text"]["content"], r["sender"], r["chat_type"])
        for r in wecom.received
    )
    assert got == [
        (["wmA0001"], "王芳您好，新茶已到店。", "zhangsan", "single"),
        (["wmB0002"], "李雷您好，新茶已到店。", "zhangsan", "single"),
    ]
    sent = Message.objects.filter(status="sent").order_by("customer_id")
    assert [m.customer_id for m in sent] == [a.pk, b.pk]
    assert sorted(m.provider_id for m in sent) == ["msg-1", "msg-2"]
    for secret in (SECRET, "token-1", "wmA0001"):
        assert secret not in caplog.text


def test_an_expired_token_is_taken_again_and_the_message_sent_once(
    wecom: ProviderRecorder, make_customer: Any
) -> None:
    _customer(make_customer, "王芳", "wmA0001")
    _send()
    assert messages_dispatch() == {"sent": 1}
    assert wecom.tokens_issued == 1
    # The server forgets its tokens (expired, errcode 42001): the next send
    # takes a new one and goes out once.
    wecom.tokens.clear()
    _send()
    assert messages_dispatch() == {"sent": 1}
    assert wecom.tokens_issued == 2
    assert wecom.requests == 5  # token, send, refused send, token, send
    assert len(wecom.received) == 2


def test_a_wrong_secret_fails_and_is_never_shown(
    wecom: ProviderRecorder, make_customer: Any, settings: Any, caplog: Any
) -> None:
    _customer(make_customer, "王芳", "wmA0001")
    settings.GUANXI_WECOM_SECRET = "not-the-corps"
    _send()
    with caplog.at_level(logging.DEBUG):
        assert messages_dispatch() == {"failed": 1}
    assert (wecom.bad_signatures, wecom.received) == (1, [])
    assert Message.objects.get().last_error == "wecom gettoken: errcode 40001"
    assert "not-the-corps" not in caplog.text


def test_a_contact_in_fail_list_fails_and_is_suppressed(
    wecom: ProviderRecorder, make_customer: Any
) -> None:
    _customer(make_customer, "王芳", "wmGONE")
    wecom.fail_list.add("wmGONE")
    _send()
    assert messages_dispatch() == {"failed": 1}
    assert Message.objects.get().last_error == "wecom add_msg_template: fail_list"
    assert SuppressedAddress.objects.filter(channel="wecom").count() == 1
    assert _send() == {"queued": 0, "suppressed": {"address_suppressed": 1}}


def test_frequency_limits_retry_then_deliver_once(
    wecom: ProviderRecorder, make_customer: Any
) -> None:
    _customer(make_customer, "王芳", "wmA0001")
    wecom.answers[:] = [(200, {"errcode": 45009}), (503, {})]
    _send()
    assert messages_dispatch() == {"retry": 2, "sent": 1}
    assert len(wecom.received) == 1


def test_marketing_on_wecom_needs_wecom_consent(
    wecom: ProviderRecorder, make_customer: Any
) -> None:
    yes = _customer(make_customer, "王芳", "wmA0001")
    _customer(make_customer, "李雷", "wmB0002")
    consent_set(yes, channel="wecom", source="staff")
    assert _send("marketing") == {"queued": 1, "suppressed": {"no_consent": 1}}
    assert messages_dispatch() == {"sent": 1}
    assert [r["external_userid"] for r in wecom.received] == [["wmA0001"]]


def test_the_robot_posts_service_notices_to_the_staff_group(
    wecom: ProviderRecorder, make_customer: Any, settings: Any
) -> None:
    settings.GUANXI_WECOM_MODE = "robot"
    settings.GUANXI_WECOM_ROBOT_FORMAT = "markdown"
    make_customer(name="王芳")  # no WeCom identity needed
    assert _send() == {"queued": 1, "suppressed": {}}
    assert messages_dispatch() == {"sent": 1}
    assert wecom.received == [
        {"msgtype": "markdown", "markdown": {"content": "王芳您好，新茶已到店。"}}
    ]
    assert wecom.tokens_issued == 0


def test_a_wrong_robot_key_fails_and_is_never_shown(
    wecom: ProviderRecorder, make_customer: Any, settings: Any, caplog: Any
) -> None:
    settings.GUANXI_WECOM_MODE = "robot"
    settings.GUANXI_WECOM_ROBOT_KEY = "stolen-key-77"
    make_customer()
    _send()
    with caplog.at_level(logging.DEBUG):
        assert messages_dispatch() == {"failed": 1}
    assert Message.objects.get().last_error == "wecom robot: errcode 93000"
    assert wecom.received == []
    assert "stolen-key-77" not in caplog.text


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "wecom.txt"
    path.write_text(TEMPLATE, encoding="utf-8")
    return path


def test_the_robot_refuses_marketing(
    wecom: ProviderRecorder, make_customer: Any, settings: Any, template: Path
) -> None:
    settings.GUANXI_WECOM_MODE = "robot"
    make_customer()
    with pytest.raises(CommandError) as caught:
        call_command(
            "send",
            "--channel",
            "wecom",
            "--audience",
            "all",
            "--purpose",
            "marketing",
            "--template",
            str(template),
        )
    assert str(caught.value) == (
        "The WeCom robot posts to a staff group: it sends service notices only, "
        "not marketing."
    )
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"GUANXI_WECOM_MODE": "external", "GUANXI_WECOM_SECRET": ""},
            "WeCom is not set up: set GUANXI_WECOM_SECRET.",
        ),
        (
            {"GUANXI_WECOM_MODE": "robot", "GUANXI_WECOM_ROBOT_KEY": ""},
            "WeCom is not set up: set GUANXI_WECOM_ROBOT_KEY.",
        ),
        (
            {"GUANXI_WECOM_MODE": "group"},
            "GUANXI_WECOM_MODE is external or robot, not 'group'.",
        ),
    ],
)
def test_bad_wecom_settings_are_refused_at_send_time(
    make_customer: Any,
    settings: Any,
    template: Path,
    values: dict[str, str],
    message: str,
) -> None:
    make_customer()
    settings.GUANXI_WECOM_CORP_ID = CORP
    settings.GUANXI_WECOM_SECRET = SECRET
    settings.GUANXI_WECOM_ROBOT_KEY = ROBOT_KEY
    for name, value in values.items():
        setattr(settings, name, value)
    with pytest.raises(CommandError) as caught:
        call_command(
            "send",
            "--channel",
            "wecom",
            "--audience",
            "all",
            "--purpose",
            "service",
            "--template",
            str(template),
        )
    assert str(caught.value) == message
    assert Message.objects.count() == 0


def test_the_base_url_goes_through_the_outbound_guard(
    wecom: ProviderRecorder, make_customer: Any, settings: Any
) -> None:
    _customer(make_customer, "王芳", "wmA0001")
    settings.GUANXI_CHANNELS_LOOPBACK_HTTP = False
    _send()
    assert messages_dispatch() == {"failed": 1}
    assert (
        Message.objects.get().last_error
        == "wecom refused: Only HTTPS URLs are allowed."
    )
    assert wecom.requests == 0
