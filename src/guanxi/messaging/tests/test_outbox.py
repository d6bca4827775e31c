"""The outbox: the searchable list, one message with its events, the messages
API and a customer's messages on their timeline — scoped, per role."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from tests.access import World

from guanxi.core.crypto import pseudonym
from guanxi.messaging.filtersets import MessageFilterSet
from guanxi.messaging.models import Broadcast, Message, MessageEvent
from guanxi.messaging.selectors import message_list

LIST = reverse("outbox:message-list")
API = "/api/v1/messages/"
DAY = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def shown(html: str) -> list[int]:
    """The message numbers a page lists, in order."""
    return [int(n) for n in re.findall(r'<tr data-message="(\d+)">', html)]


def _message(
    world: World, key: str, customer: Any, *, broadcast: Broadcast | None, **values: Any
) -> Message:
    values.setdefault("channel", "email")
    values.setdefault("purpose", "marketing")
    values.setdefault("created_at", DAY)
    message = Message.objects.create(
        cause=f"test:{key}",
        broadcast=broadcast,
        customer=customer,
        idempotency_key=f"outbox-{key}",
        **values,
    )
    world.extra[key] = message
    return message


@pytest.fixture
def outbox(world: World) -> World:
    """Five messages: three to the account manager's own customer, two to
    another manager's, one of each status, and a delivery receipt."""
    spring = Broadcast.objects.create(
        channel="email",
        purpose="marketing",
        subject="春茶上新 {{ name }}",
        body="{{ name }}，您好",
        audience="segment:VIP",
    )
    own, foreign = world.own_customer, world.foreign_customer
    sent = _message(
        world,
        "sent",
        own,
        broadcast=spring,
        status="sent",
        attempts=1,
        sent_at=DAY + dt.timedelta(minutes=5),
    )
    MessageEvent.objects.create(
        message=sent,
        kind="delivered",
        code="DELIVRD",
        occurred_at=DAY + dt.timedelta(minutes=6),
    )
    _message(
        world,
        "suppressed",
        foreign,
        broadcast=spring,
        status="suppressed",
        reason="no_consent",
    )
    _message(
        world,
        "failed",
        own,
        broadcast=None,
        channel="sms",
        purpose="service",
        status="failed",
        attempts=3,
        last_error="sms aliyun: isv.MOBILE_NUMBER_ILLEGAL",
        created_at=DAY + dt.timedelta(days=2),
    )
    _message(
        world,
        "queued",
        own,
        broadcast=None,
        channel="wecom",
        purpose="service",
        created_at=DAY + dt.timedelta(days=3),
    )
    _message(
        world,
        "sending",
        foreign,
        broadcast=None,
        channel="webhook",
        purpose="service",
        status="sending",
        created_at=DAY + dt.timedelta(days=3),
    )
    return world


def ids(world: World, *keys: str) -> list[int]:
    return [world.extra[k].pk for k in keys]


def test_admin_sees_every_message_newest_first_with_counts(
    client_for: Any, outbox: World
) -> None:
    html = client_for("admin").get(LIST).content.decode()
    assert shown(html) == ids(
        outbox, "sending", "queued", "failed", "suppressed", "sent"
    )
    counts = dict(
        re.findall(
            r'data-status="(\w+)">\s*<span class="label">[^<]*</span>\s*'
            r'<span class="value">(\d+)</span>',
            html,
        )
    )
    assert counts == {
        "queued": "1",
        "sending": "1",
        "sent": "1",
        "failed": "1",
        "suppressed": "1",
    }
    assert "No marketing consent for the channel" in html  # the reason in words
    assert f"#{outbox.extra['sent'].broadcast_id} · segment:VIP" in html
    assert "王芳" in html and "李雷" in html
    assert "13800138000" not in html and "wang.fang@example.com" not in html


def test_account_manager_sees_only_own_customers_messages(
    client_for: Any, outbox: World
) -> None:
    client = client_for("account_manager")
    html = client.get(LIST).content.decode()
    assert shown(html) == ids(outbox, "queued", "failed", "sent")
    assert "李雷" not in html
    assert '<span class="value">0</span>' in html  # nothing suppressed of theirs
    foreign = reverse("outbox:message-detail", args=[outbox.extra["suppressed"].pk])
    assert client.get(foreign).status_code == 404


def test_analyst_sees_pseudonyms_and_cannot_search_people(
    client_for: Any, outbox: World
) -> None:
    client = client_for("analyst")
    html = client.get(LIST).content.decode()
    assert pseudonym(outbox.own_customer.pk) in html
    assert "王芳" not in html and "李雷" not in html
    assert 'name="q"' not in html
    assert "/customers/" not in html.split("<main", 1)[1]
    assert shown(client.get(LIST, {"q": "13800138000"}).content.decode()) == []
    own = outbox.own_customer.pk
    assert shown(client.get(LIST, {"customer": own}).content.decode()) == []
    detail = reverse("outbox:message-detail", args=[outbox.extra["sent"].pk])
    text = client.get(detail).content.decode()
    assert pseudonym(own) in text and "王芳" not in text


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ({"status": "failed"}, ("failed",)),
        ({"channel": "email"}, ("suppressed", "sent")),
        ({"purpose": "service"}, ("sending", "queued", "failed")),
        ({"reason": "no_consent"}, ("suppressed",)),
        ({"created_from": "2026-11-22", "created_to": "2026-11-22"}, ("failed",)),
        ({"created_to": "2026-11-20"}, ("suppressed", "sent")),
        ({"q": "13800138000"}, ("queued", "failed", "sent")),
        ({"q": "8000"}, ("queued", "failed", "sent")),  # the last four digits
        ({"q": "li.lei@example.com"}, ("sending", "suppressed")),
        ({"q": "王芳", "channel": "sms"}, ("failed",)),
        (
            {"q": "", "status": ""},
            ("sending", "queued", "failed", "suppressed", "sent"),
        ),
    ],
)
def test_filters(
    client_for: Any, outbox: World, query: dict[str, str], keys: tuple[str, ...]
) -> None:
    html = client_for("service").get(LIST, query).content.decode()
    assert shown(html) == ids(outbox, *keys)


def test_filter_by_broadcast_and_customer(client_for: Any, outbox: World) -> None:
    client = client_for("admin")
    broadcast = outbox.extra["sent"].broadcast_id
    by_broadcast = client.get(LIST, {"broadcast": broadcast}).content.decode()
    assert shown(by_broadcast) == ids(outbox, "suppressed", "sent")
    by_customer = client.get(LIST, {"customer": outbox.foreign_customer.pk})
    assert shown(by_customer.content.decode()) == ids(outbox, "sending", "suppressed")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"status": "lost"},
            "Status: Select a valid choice. lost is not one of the available choices.",
        ),
        ({"created_from": "x"}, "Queued from: not a date (expected e.g. 2024-01-05"),
        (
            {"broadcast": "0.5"},
            "Broadcast: enter a whole number from 1 to 9223372036854775807",
        ),
        (
            {"q": "x" * 101},
            "Customer search: Ensure this value has at most 100 characters (it has 101).",
        ),
    ],
)
def test_bad_filters_are_refused_with_the_reason(
    client_for: Any, outbox: World, query: dict[str, str], message: str
) -> None:
    refused = client_for("admin").get(LIST, query)
    assert refused.status_code == 400
    assert message in refused.content.decode()


def test_pages_by_id_without_gaps(client_for: Any, outbox: World) -> None:
    Message.objects.bulk_create(
        Message(
            cause=f"bulk-{i}",
            customer=outbox.own_customer if i % 2 else outbox.foreign_customer,
            channel="email",
            purpose="marketing",
            idempotency_key=f"bulk-{i}",
            created_at=DAY,
        )
        for i in range(60)
    )
    client = client_for("admin")
    first = client.get(LIST).content.decode()
    assert "65 results" in first
    cursor = re.search(r'rel="next" href="[^"]*after=([^"&]+)"', first)
    assert cursor is not None
    second = client.get(LIST, {"after": cursor.group(1)}).content.decode()
    every = shown(first) + shown(second)
    assert every == sorted(Message.objects.values_list("id", flat=True), reverse=True)


def test_message_detail_shows_events_and_the_template_not_personal_values(
    client_for: Any, outbox: World
) -> None:
    client = client_for("account_manager")
    sent = client.get(reverse("outbox:message-detail", args=[outbox.extra["sent"].pk]))
    html = sent.content.decode()
    assert "Delivered" in html and "DELIVRD" in html
    assert "春茶上新 {{ name }}" in html  # the template, not a rendered text
    assert "wang.fang@example.com" not in html and "13800138000" not in html
    failed = client.get(
        reverse("outbox:message-detail", args=[outbox.extra["failed"].pk])
    ).content.decode()
    assert "sms aliyun: isv.MOBILE_NUMBER_ILLEGAL" in failed
    assert "<dt>Attempts</dt><dd>3</dd>" in failed


def test_pages_in_chinese(client_for: Any, outbox: World) -> None:
    html = client_for("admin", "zh-hans").get(LIST).content.decode()
    assert "消息" in html and "该渠道没有营销同意" in html
    detail = reverse("outbox:message-detail", args=[outbox.extra["sent"].pk])
    text = client_for("admin", "zh-hans").get(detail).content.decode()
    assert "已送达" in text


def test_outbox_query_count(
    client_for: Any, outbox: World, django_assert_num_queries: Any
) -> None:
    client = client_for("admin")
    # session, user, role + count, page (customers and broadcasts joined),
    # counts by status
    with django_assert_num_queries(6):
        assert len(shown(client.get(LIST).content.decode())) == 5
    detail = reverse("outbox:message-detail", args=[outbox.extra["sent"].pk])
    with django_assert_num_queries(5):  # + message, its events
        assert client.get(detail).status_code == 200


def test_api_list_detail_and_scope(api_client_for: Any, outbox: World) -> None:
    body = api_client_for("account_manager").get(API).json()
    assert [m["id"] for m in body["results"]] == ids(outbox, "queued", "failed", "sent")
    failed = body["results"][1]
    assert failed == {
        "id": outbox.extra["failed"].pk,
        "customer": str(outbox.own_customer.pk),
        "channel": "sms",
        "purpose": "service",
        "broadcast": None,
        "cause": "test:failed",
        "status": "failed",
        "reason": "",
        "attempts": 3,
        "last_error": "sms aliyun: isv.MOBILE_NUMBER_ILLEGAL",
        "created_at": "2026-11-22T17:00:00+08:00",
        "next_attempt_at": failed["next_attempt_at"],
        "sent_at": None,
        "language": "",
    }
    sent = api_client_for("account_manager").get(f"{API}{outbox.extra['sent'].pk}/")
    assert sent.json()["events"] == [
        {
            "kind": "delivered",
            "code": "DELIVRD",
            "occurred_at": "2026-11-20T17:06:00+08:00",
            "recorded_at": sent.json()["events"][0]["recorded_at"],
        }
    ]
    foreign = f"{API}{outbox.extra['suppressed'].pk}/"
    assert api_client_for("account_manager").get(foreign).status_code == 404
    analyst = api_client_for("analyst").get(API, {"status": "suppressed"}).json()
    assert [m["customer"] for m in analyst["results"]] == [
        pseudonym(outbox.foreign_customer.pk)
    ]


def test_api_filters_and_refusals(api_client_for: Any, outbox: World) -> None:
    client = api_client_for("admin")
    got = client.get(API, {"reason": "no_consent", "channel": "email"}).json()
    assert [m["id"] for m in got["results"]] == ids(outbox, "suppressed")
    refused = client.get(API, {"status": "lost", "created_to": ""})
    assert refused.status_code == 400
    assert refused.json() == {
        "created_to": ["enter a value, or leave the parameter out"],
    }
    refused = client.get(API, {"status": "lost"})
    assert refused.json() == {
        "status": ["Select a valid choice. lost is not one of the available choices."]
    }
    assert client.get(f"{API}x/").status_code == 404


def test_timeline_shows_messages_and_their_events(
    client_for: Any, outbox: World
) -> None:
    url = reverse("customers:customer-detail", args=[outbox.own_customer.pk])
    html = client_for("account_manager").get(url).content.decode()
    items = re.findall(r'<li class="event-(message(?:_event)?)">', html)
    assert items == ["message", "message", "message_event", "message"]
    sent = outbox.extra["sent"].pk
    assert f'<a href="/messages/{sent}/" class="mono">#{sent}</a>' in html
    assert "DELIVRD" in html
    assert "No marketing consent" not in html  # the other customer's message


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's plan; PostgreSQL's needs stats"
)
@pytest.mark.parametrize(
    ("query", "index"),
    [
        ({"status": "failed"}, "message_status_list_idx"),
        ({"broadcast": "7"}, "message_broadcast_list_idx"),
    ],
)
def test_a_filtered_page_walks_an_index_without_sorting(
    outbox: World, query: dict[str, str], index: str
) -> None:
    """A page of a million messages filtered by status or broadcast reads
    the index in the page's order (no sort of the matching rows)."""
    request = RequestFactory().get(LIST, query)
    request.user = outbox.users["admin"]
    filterset = MessageFilterSet(
        request.GET, queryset=message_list(actor=request.user), request=request
    )
    sql, params = filterset.qs.order_by("-id")[:51].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    assert f"USING INDEX {index}" in plan
    assert "TEMP B-TREE" not in plan
