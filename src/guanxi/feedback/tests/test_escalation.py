"""Escalation of tickets about to break their clocks: the owner, then the
lead, each warned once (a real SMTP server), the customer's progress notice
queued once through messaging, the breaches recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from guanxi.feedback.models import FeedbackSettings, Ticket, TicketEntry
from guanxi.feedback.services import ticket_open, ticket_reply, tickets_escalate
from guanxi.messaging.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

OPENED = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def ticket(make_customer: Any, users: dict[str, Any]) -> Ticket:
    manager = users["account_manager"]
    manager.email = "manager@example.com"
    manager.save()
    lead = users["admin"]
    lead.email = "lead@example.com"
    lead.save()
    FeedbackSettings.objects.create(pk=1, warn_before_hours=4, lead=lead)
    customer = make_customer(assigned_manager=manager, email="kehu@example.com")
    return ticket_open(
        actor=users["service"],
        customer_id=customer.pk,
        category="complaint",
        text="还没发货",
        now=OPENED,
    )


def _kinds(ticket: Ticket) -> list[tuple[str, str]]:
    return list(
        TicketEntry.objects.filter(ticket=ticket)
        .exclude(kind="status")
        .values_list("kind", "text")
    )


def test_escalation_fires_once_each(ticket: Ticket, smtp: Any) -> None:
    # 21 h in: nothing is within 4 h of its due time yet.
    assert tickets_escalate(now=OPENED + dt.timedelta(hours=19)).owners == 0
    # 21 h: the first reply is due in 3 h → the owner.
    first = tickets_escalate(now=OPENED + dt.timedelta(hours=21))
    assert (first.owners, first.leads, first.notices) == (1, 0, 0)
    assert tickets_escalate(now=OPENED + dt.timedelta(hours=21, minutes=10)).owners == 0
    # 23 h: 1 h left, under half the warning → the lead, once.
    second = tickets_escalate(now=OPENED + dt.timedelta(hours=23))
    assert (second.owners, second.leads) == (0, 1)
    assert tickets_escalate(now=OPENED + dt.timedelta(hours=23, minutes=30)).leads == 0
    assert sorted(m["To"] for m in smtp.received) == [
        "lead@example.com",
        "manager@example.com",
    ]
    # 25 h: the first reply clock broke, recorded once.
    assert tickets_escalate(now=OPENED + dt.timedelta(hours=25)).breaches == 1
    assert tickets_escalate(now=OPENED + dt.timedelta(hours=26)).breaches == 0
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.first_reply_breached_at == OPENED + dt.timedelta(hours=25)
    assert _kinds(ticket) == [
        ("escalation", "owner"),
        ("escalation", "lead"),
        ("breach", "first_reply"),
    ]
    assert len(smtp.received) == 2


def test_progress_notice_before_the_solve_clock_breaks(
    ticket: Ticket, users: dict[str, Any], smtp: Any
) -> None:
    ticket_reply(
        actor=users["service"],
        ticket_id=ticket.pk,
        text="非常抱歉",
        now=OPENED + dt.timedelta(hours=1),
    )
    assert tickets_escalate(now=OPENED + dt.timedelta(hours=40)).notices == 0
    count = tickets_escalate(now=OPENED + dt.timedelta(hours=45))
    assert (count.owners, count.notices) == (1, 1)
    assert tickets_escalate(now=OPENED + dt.timedelta(hours=46)).notices == 0
    message = Message.objects.get(cause__startswith="broadcast")
    assert (message.customer_id, message.channel, message.purpose) == (
        ticket.customer_id,
        "email",
        "service",
    )
    broadcast = message.broadcast
    assert broadcast is not None
    assert "我们会在 24 小时内给您回复" in broadcast.body
    assert "We will get back to you within 24 hours." in broadcast.body
    assert broadcast.audience == f"ticket:{ticket.pk}"
    assert ("notice", "email: queued") in _kinds(ticket)


def test_solved_tickets_are_left_alone(ticket: Ticket, users: dict[str, Any]) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(status="solved")
    count = tickets_escalate(now=OPENED + dt.timedelta(hours=100))
    assert (count.owners, count.leads, count.notices, count.breaches) == (0, 0, 0, 0)
