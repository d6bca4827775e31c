"""The migration that encrypts ticket texts encrypts the texts already stored
(a ticket's text and close reason, every thread entry; empty ones become
NULL), and rolled back gives them back in clear."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from guanxi.customers.models import Customer
from guanxi.feedback.models import Ticket, TicketEntry

BEFORE = ("feedback", "0001_initial")
AFTER = ("feedback", "0002_tickets2")
TEXT = "快递太慢，我住在金丝雀路 12 号"
REASON = "金丝雀款已停产"
REPLY = "金丝雀女士您好，非常抱歉"


def _raw(sql: str) -> dict[int, tuple[str | None, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def _raw_tickets() -> dict[int, tuple[str | None, ...]]:
    return _raw("SELECT id, text, close_reason FROM feedback_ticket ORDER BY id")


def _raw_entries() -> dict[int, tuple[str | None, ...]]:
    return _raw("SELECT id, text FROM feedback_ticketentry ORDER BY id")


@pytest.mark.django_db(transaction=True)
def test_texts_are_encrypted_and_decrypted_again_when_rolled_back() -> None:
    call_command("migrate", *BEFORE, verbosity=0)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        # The customers app stays migrated: its current model fits the table.
        customer = Customer.objects.create()
        when = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
        ticket = old.get_model("feedback", "Ticket").objects.create(
            customer_id=customer.pk,
            category="complaint",
            channel="phone",
            source="staff",
            text=TEXT,
            close_reason=REASON,
            status="closed_unsolved",
            opened_at=when,
            first_reply_due=when,
            solve_due=when,
        )
        Entry = old.get_model("feedback", "TicketEntry")
        said = Entry.objects.create(
            ticket=ticket, kind="reply", text=REPLY, created_at=when
        )
        quiet = Entry.objects.create(
            ticket=ticket, kind="status", text="", created_at=when
        )

        call_command("migrate", *AFTER, verbosity=0)
        text, reason = _raw_tickets()[ticket.pk]
        assert str(text).startswith("v1:") and TEXT not in str(text)
        assert str(reason).startswith("v1:") and REASON not in str(reason)
        entries = _raw_entries()
        assert str(entries[said.pk][0]).startswith("v1:")
        assert entries[quiet.pk] == (None,)
        stored = Ticket.objects.get(pk=ticket.pk)
        assert (stored.text, stored.close_reason) == (TEXT, REASON)
        assert TicketEntry.objects.get(pk=said.pk).text == REPLY
        assert TicketEntry.objects.get(pk=quiet.pk).text == ""

        call_command("migrate", *BEFORE, verbosity=0)
        assert _raw_tickets() == {ticket.pk: (TEXT, REASON)}
        assert _raw_entries() == {said.pk: (REPLY,), quiet.pk: ("",)}
    finally:
        call_command("migrate", verbosity=0)
