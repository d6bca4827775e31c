"""Webhooks: signed, to public addresses only, never redirected, retried on
5xx/429; a real HTTP server on 127.0.0.1 checks the signatures."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from guanxi.messaging.channels.network import UrlRefused, url_target
from guanxi.messaging.models import Message
from guanxi.messaging.services import broadcast_send, messages_dispatch
from guanxi.messaging.tests.servers import HookRecorder, webhook_server

SECRET = "s3cret-for-tests"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1/hook", "The host 127.0.0.1 is not a public address."),
        ("https://10.1.2.3/hook", "The host 10.1.2.3 is not a public address."),
        ("https://192.168.0.1/", "The host 192.168.0.1 is not a public address."),
        (
            "https://169.254.169.254/latest/meta-data/",
            "The host 169.254.169.254 is not a public address.",
        ),
        ("https://[::1]/hook", "The host ::1 is not a public address."),
        (
            "https://[::ffff:127.0.0.1]/",
            "The host ::ffff:127.0.0.1 is not a public address.",
        ),
        ("https://[fd00::1]/", "The host fd00::1 is not a public address."),
        ("https://0.0.0.0/", "The host 0.0.0.0 is not a public address."),
        ("https://localhost:8443/hook", "The host localhost is not a public address."),
        ("http://203.0.113.9/hook", "Only HTTPS URLs are allowed."),
        ("http://127.0.0.1/hook", "Only HTTPS URLs are allowed."),
        ("ftp://93.184.216.34/x", "Only HTTPS URLs are allowed."),
        ("https://user:pw@93.184.216.34/", "The URL is not valid."),
        ("https://93.184.216.34:99999/", "The URL is not valid."),
    ],
)
def test_ssrf_targets_are_refused(url: str, message: str) -> None:
    with pytest.raises(UrlRefused) as caught:
        url_target(url)
    assert caught.value.message == message


def test_a_public_address_is_connected_to_as_checked() -> None:
    target = url_target("https://93.184.216.34/in?x=1")
    assert (target.host, target.port, target.path, target.address) == (
        "93.184.216.34",
        443,
        "/in?x=1",
        "93.184.216.34",
    )


def test_plain_http_to_loopback_only_when_tests_allow_it() -> None:
    assert (
        url_target("http://127.0.0.1:9/x", allow_loopback_http=True).address
        == "127.0.0.1"
    )
    with pytest.raises(UrlRefused) as caught:
        url_target("http://10.0.0.1/x", allow_loopback_http=True)
    assert caught.value.message == "Only HTTPS URLs are allowed."


@pytest.fixture
def hook(settings: Any) -> Any:
    recorder = HookRecorder(secret=SECRET)
    with webhook_server(recorder) as (recorder, port):
        settings.GUANXI_WEBHOOK_URL = f"http://127.0.0.1:{port}/hook?token=Q7-PRIVATE"
        settings.GUANXI_WEBHOOK_SECRET = SECRET
        settings.GUANXI_WEBHOOK_LOOPBACK_HTTP = True
        settings.GUANXI_QUIET_HOURS = ""
        settings.GUANXI_MESSAGE_RETRY_BASE_SECONDS = 0
        yield recorder


def _send() -> dict[str, object]:
    return broadcast_send(
        channel="webhook",
        purpose="service",
        template_text="{{ name }}，订单已发货。",
        audience="all",
    ).as_dict()


@pytest.mark.django_db
def test_signed_posts_arrive_once_each(hook: HookRecorder, make_customer: Any) -> None:
    customers = [make_customer(name=f"客户{i}") for i in range(3)]
    hook.answers[:] = [(503, {}), (429, {})]
    assert _send() == {"queued": 3, "suppressed": {}}
    assert messages_dispatch() == {"retry": 2, "sent": 3}
    assert hook.bad_signatures == 0
    assert hook.requests == 5
    got = sorted(
        (r["payload"]["customer_id"], r["payload"]["text"]) for r in hook.received
    )
    assert got == [(c.pk, f"客户{i}，订单已发货。") for i, c in enumerate(customers)]
    keys = {r["key"] for r in hook.received}
    assert keys == set(Message.objects.values_list("idempotency_key", flat=True))


@pytest.mark.django_db
def test_a_wrong_secret_is_caught_by_the_receiver(
    hook: HookRecorder, make_customer: Any, settings: Any
) -> None:
    make_customer()
    settings.GUANXI_WEBHOOK_SECRET = "not-the-receivers"
    _send()
    assert messages_dispatch() == {"failed": 1}
    assert (hook.bad_signatures, hook.received) == (1, [])
    assert Message.objects.get().last_error == "webhook 127.0.0.1: HTTP 401"


@pytest.mark.django_db
def test_a_redirect_is_not_followed(hook: HookRecorder, make_customer: Any) -> None:
    make_customer()
    elsewhere = HookRecorder(secret=SECRET)
    with webhook_server(elsewhere) as (_, port):
        hook.answers[:] = [(302, {"Location": f"http://127.0.0.1:{port}/steal"})]
        _send()
        assert messages_dispatch() == {"failed": 1}
    assert elsewhere.requests == 0
    assert Message.objects.get().last_error == "webhook 127.0.0.1: HTTP 302"


@pytest.mark.django_db
def test_a_refused_url_fails_and_the_url_is_never_logged_whole(
    hook: HookRecorder, make_customer: Any, settings: Any, caplog: Any
) -> None:
    make_customer()
    _send()
    settings.GUANXI_WEBHOOK_LOOPBACK_HTTP = False
    with caplog.at_level(logging.DEBUG):
        assert messages_dispatch() == {"failed": 1}
    assert (
        Message.objects.get().last_error
        == "webhook refused: Only HTTPS URLs are allowed."
    )
    assert hook.requests == 0
    assert "Q7-PRIVATE" not in caplog.text and "/hook" not in caplog.text
