"""Tickets: opening, owners, the status machine, replies and the clocks they
stop, tickets from complaints and reviews, the public form's service."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.models import Interaction
from guanxi.customers.services import interactions_announce
from guanxi.feedback.choices import Status
from guanxi.feedback.links import form_token, ticket_token
from guanxi.feedback.models import FeedbackSettings, SlaRule, Ticket, TicketEntry
from guanxi.feedback.services import (
    PUBLIC_PER_HOUR,
    public_ticket_answer,
    public_ticket_file,
    sla_rule_save,
    ticket_open,
    ticket_reply,
    ticket_transition,
    tickets_from_interactions,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)  # Friday 16:00 in Shanghai


@pytest.fixture
def ticket(make_customer: Any, users: dict[str, Any]) -> Ticket:
    customer = make_customer(assigned_manager=users["account_manager"])
    return ticket_open(
        actor=users["service"],
        customer_id=customer.pk,
        category="complaint",
        text="快递太慢了",
        now=NOW,
    )


def test_a_ticket_gets_the_seed_clocks_and_the_customer_manager(
    ticket: Ticket, users: dict[str, Any]
) -> None:
    assert ticket.status == Status.NEW
    assert ticket.owner == users["account_manager"]
    assert ticket.first_reply_due == NOW + dt.timedelta(hours=24)
    assert ticket.solve_due == NOW + dt.timedelta(hours=48)


def test_business_hours_and_a_rule_per_priority(
    make_customer: Any, users: dict[str, Any]
) -> None:
    FeedbackSettings.objects.create(
        pk=1,
        hours_mode="business",
        opening_hours={str(d): ["09:00", "18:00"] for d in range(5)},
    )
    SlaRule.objects.create(
        category="complaint", priority="high", first_reply_hours=2, solve_hours=9
    )
    customer = make_customer()
    high = ticket_open(
        actor=users["service"],
        customer_id=customer.pk,
        category="complaint",
        priority="high",
        text="x",
        now=NOW,
    )
    # Friday 16:00 + 2 business hours = 18:00; + 9 = Monday 16:00 (Shanghai).
    assert high.first_reply_due == dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
    assert high.solve_due == dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    normal = ticket_open(
        actor=users["service"],
        customer_id=customer.pk,
        category="complaint",
        text="y",
        now=NOW,
    )
    assert normal.first_reply_due == dt.datetime(2026, 11, 25, 5, 0, tzinfo=dt.UTC)


def test_customers_without_manager_go_round_the_service_team(
    make_customer: Any, make_user: Any, users: dict[str, Any]
) -> None:
    from guanxi.access.choices import Role

    second = make_user(Role.SERVICE, username="service2")
    owners = [
        ticket_open(
            actor=users["admin"],
            customer_id=make_customer().pk,
            category="question",
            text="?",
        ).owner
        for _ in range(3)
    ]
    assert owners == [users["service"], second, users["service"]]


def test_bad_input_changes_nothing(make_customer: Any, users: dict[str, Any]) -> None:
    customer = make_customer()
    cases = [
        ({"category": "rant"}, "Choose a category."),
        ({"text": "   "}, "Write the text."),
        ({"text": "x" * 5001}, "The text is longer than 5000 characters."),
        ({"priority": "urgent"}, "Choose a priority."),
    ]
    for change, message in cases:
        values: dict[str, Any] = {"category": "complaint", "text": "ok", **change}
        with translation.override("en"), pytest.raises(ValidationFailed) as caught:
            ticket_open(actor=users["service"], customer_id=customer.pk, **values)
        assert caught.value.message == message
    assert not Ticket.objects.exists()


def test_scope_and_role(make_customer: Any, users: dict[str, Any]) -> None:
    foreign = make_customer(assigned_manager=users["other_manager"])
    with pytest.raises(NotFound):
        ticket_open(
            actor=users["account_manager"],
            customer_id=foreign.pk,
            category="praise",
            text="👍",
        )
    with pytest.raises(PermissionDenied):
        ticket_open(
            actor=users["analyst"], customer_id=foreign.pk, category="praise", text="👍"
        )
    assert not Ticket.objects.exists()


def test_the_status_machine_refuses_illegal_moves(
    ticket: Ticket, users: dict[str, Any]
) -> None:
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        ticket_transition(actor=users["service"], ticket_id=ticket.pk, to="confirmed")
    assert caught.value.message == "A ticket cannot go from “New” to “Confirmed”."
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as caught:
        ticket_transition(actor=users["service"], ticket_id=ticket.pk, to="confirmed")
    assert caught.value.message == "工单不能从“新建”变为“已确认”。"
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        ticket_transition(
            actor=users["service"], ticket_id=ticket.pk, to="closed_unsolved"
        )
    assert caught.value.message == "Say why the ticket is closed without a solution."
    assert not TicketEntry.objects.exists()


def test_reply_acknowledges_and_stops_the_first_clock(
    ticket: Ticket, users: dict[str, Any]
) -> None:
    later = NOW + dt.timedelta(hours=30)
    ticket_reply(
        actor=users["service"], ticket_id=ticket.pk, text="非常抱歉", now=later
    )
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.status == Status.ACKNOWLEDGED
    assert stored.first_reply_at == later
    assert stored.first_reply_breached_at == later  # 30 h > 24 h
    kinds = list(TicketEntry.objects.values_list("kind", flat=True))
    assert kinds == ["reply", "breach", "status"]
    ticket_reply(
        actor=users["service"], ticket_id=ticket.pk, text="note", internal=True
    )
    assert Ticket.objects.get(pk=ticket.pk).first_reply_at == later


def test_solved_confirmed_by_the_customer(
    ticket: Ticket, users: dict[str, Any]
) -> None:
    ticket_transition(
        actor=users["service"], ticket_id=ticket.pk, to="in_progress", now=NOW
    )
    ticket_transition(actor=users["service"], ticket_id=ticket.pk, to="solved", now=NOW)
    token = ticket_token(ticket_id=ticket.pk)
    public_ticket_answer(token=token, solved=False, text="还是没到")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS
    ticket_transition(actor=users["service"], ticket_id=ticket.pk, to="solved")
    done = public_ticket_answer(token=token, solved=True)
    assert done.status == Status.CONFIRMED
    assert done.ended_at is not None
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        public_ticket_answer(token=token, solved=True)
    assert caught.value.message == "This ticket is not marked solved."


def test_closed_unsolved_keeps_the_reason(
    ticket: Ticket, users: dict[str, Any]
) -> None:
    ticket_transition(
        actor=users["service"], ticket_id=ticket.pk, to="closed_unsolved", reason="停产"
    )
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.status, stored.close_reason) == (Status.CLOSED_UNSOLVED, "停产")


def test_public_form_files_and_is_rate_limited(make_customer: Any) -> None:
    customer = make_customer()
    token = form_token(customer_id=customer.pk)
    for _ in range(PUBLIC_PER_HOUR):
        public_ticket_file(token=token, category="suggestion", text="多些口味")
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        public_ticket_file(token=token, category="suggestion", text="多些口味")
    assert (
        caught.value.message == "Too many messages in an hour. Please try again later."
    )
    assert Ticket.objects.filter(customer=customer, source="public").count() == 5
    with pytest.raises(NotFound):
        public_ticket_file(token=token + "x", category="suggestion", text="a")


def test_complaints_and_reviews_open_tickets_once(
    make_customer: Any, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    customer = make_customer(assigned_manager=users["account_manager"])
    other = make_customer()
    at = dt.datetime(2026, 11, 19, 3, 0, tzinfo=dt.UTC)
    Interaction.objects.create(
        customer=customer, kind="complaint", occurred_at=at, note="坏了"
    )
    Interaction.objects.create(customer=other, kind="review", occurred_at=at, note="")
    Interaction.objects.create(customer=other, kind="visit", occurred_at=at)
    with django_capture_on_commit_callbacks(execute=True):
        interactions_announce(customer_ids=[customer.pk, other.pk], kinds=["complaint"])
    tickets = {t.customer_id: t for t in Ticket.objects.all()}
    assert set(tickets) == {customer.pk, other.pk}
    assert tickets[customer.pk].category == "complaint"
    assert tickets[customer.pk].text == "坏了"
    assert tickets[customer.pk].opened_at == at
    assert tickets[customer.pk].owner == users["account_manager"]
    assert tickets[other.pk].category == "suggestion"
    assert tickets_from_interactions(customer_ids=[customer.pk, other.pk]) == 0
    assert Ticket.objects.count() == 2


def test_sla_rule_checks(users: dict[str, Any]) -> None:
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        sla_rule_save(
            actor=users["admin"],
            category="complaint",
            priority="",
            first_reply_hours="48",
            solve_hours="24",
        )
    assert (
        caught.value.message
        == "The solve time cannot be shorter than the first reply time."
    )
    with pytest.raises(PermissionDenied):
        sla_rule_save(
            actor=users["service"],
            category="complaint",
            priority="",
            first_reply_hours="4",
            solve_hours="24",
        )
    assert not SlaRule.objects.exists()


def test_tickets_from_interactions_are_set_based(
    make_customer: Any, django_assert_max_num_queries: Any
) -> None:
    at = dt.datetime(2026, 11, 19, 3, 0, tzinfo=dt.UTC)
    customers = [make_customer() for _ in range(30)]
    Interaction.objects.bulk_create(
        [
            Interaction(customer=c, kind="complaint", occurred_at=at, note=f"n{i}")
            for i, c in enumerate(customers)
        ]
    )
    # The team, the last turn, the settings, closing days, one rule read,
    # the interactions, the insert (and the savepoint): not one per ticket.
    with django_assert_max_num_queries(10):
        opened = tickets_from_interactions(customer_ids=[c.pk for c in customers])
    assert opened == 30
    assert Ticket.objects.filter(source="interaction").count() == 30
