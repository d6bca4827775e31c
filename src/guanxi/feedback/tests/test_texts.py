"""Ticket texts are encrypted at rest and read back decrypted through
``ticket_texts`` (what customers wrote, in the reader's scope)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from guanxi.access.tests.test_keys import _rotate
from guanxi.feedback.links import ticket_token
from guanxi.feedback.selectors import TicketText, ticket_texts
from guanxi.feedback.services import (
    public_ticket_answer,
    ticket_open,
    ticket_reply,
    ticket_transition,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


def _raw(table: str) -> list[str | None]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT text FROM {table} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def test_texts_are_stored_encrypted_and_read_back_per_scope(
    make_customer: Any, users: dict[str, Any]
) -> None:
    own = make_customer(assigned_manager=users["account_manager"])
    other = make_customer()
    mine = ticket_open(
        actor=users["service"],
        customer_id=own.pk,
        category="complaint",
        text="包装破了",
        now=NOW,
    )
    theirs = ticket_open(
        actor=users["service"],
        customer_id=other.pk,
        category="suggestion",
        text="多些口味",
        now=NOW + dt.timedelta(minutes=1),
    )
    ticket_reply(actor=users["service"], ticket_id=mine.pk, text="非常抱歉", now=NOW)
    later = NOW + dt.timedelta(hours=1)
    public_ticket_answer(
        token=ticket_token(ticket_id=mine.pk), solved=False, text="还是破的", now=later
    )
    ticket_transition(
        actor=users["service"],
        ticket_id=theirs.pk,
        to="closed_unsolved",
        reason="口味已定",
    )

    assert all(str(t).startswith("v1:") for t in _raw("feedback_ticket"))
    entries = _raw("feedback_ticketentry")
    assert "非常抱歉" not in str(entries) and "还是破的" not in str(entries)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT close_reason FROM feedback_ticket WHERE id = %s", [theirs.pk]
        )
        assert str(cursor.fetchone()[0]).startswith("v1:")

    everything = list(ticket_texts(actor=None))
    assert [(t.ticket_id, t.entry_id is None, t.text) for t in everything] == [
        (mine.pk, True, "包装破了"),
        (theirs.pk, True, "多些口味"),
        (mine.pk, False, "还是破的"),
    ]
    assert everything[0] == TicketText(
        mine.pk, None, own.pk, "complaint", NOW, "包装破了"
    )
    scoped = list(ticket_texts(actor=users["account_manager"]))
    assert [t.text for t in scoped] == ["包装破了", "还是破的"]
    assert list(ticket_texts(actor=users["admin"], since=later)) == [
        t for t in everything if t.at >= later
    ]
    assert [t.text for t in ticket_texts(actor=None, customer_ids=[other.pk])] == [
        "多些口味"
    ]


def test_key_rotation_reencrypts_ticket_and_answer_texts(
    keyfile: Any, make_customer: Any, users: dict[str, Any]
) -> None:
    from guanxi.surveys.models import Answer, Invitation, Survey

    person = make_customer()
    ticket = ticket_open(
        actor=users["service"], customer_id=person.pk, category="complaint", text="慢"
    )
    ticket_reply(actor=users["service"], ticket_id=ticket.pk, text="抱歉")
    survey, _ = Survey.objects.get_or_create(kind="needs")
    invitation = Invitation.objects.create(
        survey=survey, customer=person, trigger="manual", nonce="n", expires_at=NOW
    )
    answer = Answer.objects.create(
        invitation=invitation,
        survey=survey,
        customer=person,
        kind="needs",
        text="贵",
        interests="茶",
    )
    tables = {
        "feedback_ticket": "text",
        "feedback_ticketentry": "text",
        "surveys_answer": "interests",
    }

    def heads() -> set[str]:
        found = set()
        with connection.cursor() as cursor:
            for table, column in tables.items():
                cursor.execute(
                    f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"
                )
                found |= {row[0][:6] for row in cursor.fetchall()}
        return found

    assert heads() == {"v1:k1:"}
    rotate_json = _rotate()
    assert rotate_json["key_id"] == "k2"
    assert heads() == {"v1:k2:"}
    assert next(iter(ticket_texts(actor=None))).text == "慢"
    assert Answer.objects.get(pk=answer.pk).interests == "茶"
