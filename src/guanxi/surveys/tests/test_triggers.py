"""The survey triggers wired to where things happen: a ticket solved (CSAT),
orders received and events attended, from imports (one invitation call per
write, not per row) and from the API; the cap holds throughout. The mail
goes to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from guanxi.commerce.services import LineInput, OrderInput, order_bulk_create
from guanxi.feedback.services import ticket_open, ticket_transition
from guanxi.ingest.tests.conftest import run_import, write_file
from guanxi.messaging.services import messages_dispatch
from guanxi.surveys.models import Invitation

pytestmark = pytest.mark.django_db
__all__ = ["run_import", "write_file"]  # the import's fixtures, used here


def _invited() -> list[tuple[int, str, str, str]]:
    return sorted(
        Invitation.objects.values_list(
            "customer_id", "survey__kind", "trigger", "store"
        )
    )


def _day(days_ago: int) -> str:
    moment = timezone.localtime() - dt.timedelta(days=days_ago)
    return moment.strftime("%Y-%m-%d %H:%M")


def test_a_solved_ticket_invites_its_customer_to_csat_once(
    smtp: Any, customer_with_email: Any, users: dict[str, Any]
) -> None:
    customer = customer_with_email(assigned_manager=users["account_manager"])
    ticket = ticket_open(
        actor=users["service"], customer_id=customer.pk, category="complaint",
        text="快递太慢了",
    )  # fmt: skip
    ticket_transition(actor=users["service"], ticket_id=ticket.pk, to="in_progress")
    assert Invitation.objects.count() == 0  # not before it is solved
    ticket_transition(actor=users["service"], ticket_id=ticket.pk, to="solved")
    assert _invited() == [(customer.pk, "csat", "ticket_solved", "")]
    invitation = Invitation.objects.get()
    assert invitation.staff_id == ticket.owner_id == users["account_manager"].pk
    assert messages_dispatch() == {"sent": 1}
    assert [m["To"] for m in smtp.received] == [customer.email]
    # Reopened and solved again within the cap: not asked twice.
    ticket_transition(actor=users["service"], ticket_id=ticket.pk, to="in_progress")
    ticket_transition(actor=users["service"], ticket_id=ticket.pk, to="solved")
    assert Invitation.objects.count() == 1


def test_an_orders_import_invites_recent_buyers_once_per_write(
    smtp: Any,
    run_import: Any,
    write_file: Any,
    caplog: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    text = (
        "订单号,下单时间,金额,状态,门店,手机号,姓名,邮箱\n"
        f"T-1,{_day(1)},120,已付款,西湖店,13800138001,甲,a@example.com\n"
        f"T-2,{_day(2)},80,已付款,西湖店,13800138001,甲,a@example.com\n"
        f"T-3,{_day(3)},99,已付款,静安店,13800138002,乙,b@example.com\n"
        f"T-4,{_day(30)},99,已付款,静安店,13800138003,丙,c@example.com\n"
        f"T-5,{_day(1)},99,已退款,静安店,13800138004,丁,d@example.com\n"
        f"T-6,{_day(1)},99,待付款,静安店,13800138005,戊,e@example.com\n"
    )
    caplog.set_level(logging.INFO, logger="guanxi.surveys.triggers")
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import("orders", write_file("o.csv", text), "--json")
    assert result.json["created"] == 6, result.stderr
    from guanxi.customers.models import Customer

    by_phone = {c.phone: c.pk for c in Customer.objects.all()}
    # Paid within 7 days: 甲 (once, for two orders) and 乙, each under the
    # store of their newest order; not the old order, the refund or the
    # order still pending.
    assert _invited() == sorted(
        [
            (by_phone["+8613800138001"], "nps", "order_delivered", "西湖店"),
            (by_phone["+8613800138002"], "nps", "order_delivered", "静安店"),
        ]
    )
    # One call per store of the write, not one per row.
    lines = [r.getMessage() for r in caplog.records if "after orders" in r.message]
    assert lines == ["surveys after orders: 1 invited"] * 2
    assert messages_dispatch() == {"sent": 2}
    assert sorted(m["To"] for m in smtp.received) == ["a@example.com", "b@example.com"]
    # The same customers buying again within the cap are not asked again.
    more = (
        "订单号,下单时间,金额,状态,门店,手机号\n"
        + f"T-7,{_day(0)},5,已付款,西湖店,13800138001\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_import("orders", write_file("p.csv", more), "--json")
    assert Invitation.objects.count() == 2


def test_orders_through_the_api_invite_their_customer(
    smtp: Any,
    customer_with_email: Any,
    users: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    customer = customer_with_email()
    order = OrderInput(
        source="api",
        external_id="W-1",
        customer_id=customer.pk,
        ordered_at=timezone.now() - dt.timedelta(hours=3),
        amount=Decimal("50.00"),
        currency="CNY",
        status="paid",
        store="线上",
        channel="",
        lines=(
            LineInput(sku="LJ-1", name="龙井", quantity=1, unit_price=Decimal("50")),
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        order_bulk_create(actor=users["admin"], orders=[order])
    assert _invited() == [(customer.pk, "nps", "order_delivered", "线上")]


def test_an_interactions_import_invites_recent_event_attendees(
    smtp: Any,
    run_import: Any,
    write_file: Any,
    caplog: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from guanxi.customers.models import Customer

    text = (
        "手机号,邮箱,类型,时间,渠道,备注\n"
        f"13800138011,f@example.com,参加活动,{_day(1)},西湖店,品茶会\n"
        f"13800138012,g@example.com,event_attended,{_day(2)},西湖店,品茶会\n"
        f"13800138013,h@example.com,参加活动,{_day(40)},西湖店,去年的活动\n"
        f"13800138014,i@example.com,到店,{_day(1)},西湖店,\n"
        f"13800138015,j@example.com,complaint,{_day(1)},电话,太慢\n"
    )
    caplog.set_level(logging.INFO, logger="guanxi.surveys.triggers")
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import("interactions", write_file("i.csv", text), "--json")
    assert result.json["created"] == 5, result.stderr
    by_phone = {c.phone: c.pk for c in Customer.objects.all()}
    assert _invited() == sorted(
        [
            (by_phone["+8613800138011"], "nps", "event_attended", ""),
            (by_phone["+8613800138012"], "nps", "event_attended", ""),
        ]
    )
    lines = [r.getMessage() for r in caplog.records if "after events" in r.message]
    assert lines == ["surveys after events: 2 invited"]


def test_a_write_without_events_or_recent_purchases_asks_nobody(
    smtp: Any,
    run_import: Any,
    write_file: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    text = "手机号,邮箱,类型,时间\n" + f"13800138021,k@example.com,到店,{_day(0)}\n"
    with django_capture_on_commit_callbacks(execute=True):
        run_import("interactions", write_file("v.csv", text), "--json")
        run_import(
            "orders",
            write_file(
                "old.csv",
                "订单号,下单时间,金额,状态,手机号\n"
                + f"X-1,{_day(8)},9,已付款,13800138021\n",
            ),
            "--json",
        )
    assert Invitation.objects.count() == 0
