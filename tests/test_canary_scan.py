"""Canary scan (issue 13, tests): the access world's two customers carry a
marker in every personal field and in every free text about them (an
interaction note, a care task note, a call script, a ticket and its reply, a
survey answer, a message to them); then every GET of the access matrix (pages,
API reads, downloads, refusals and error pages, with the records each case
sets up) and every export are requested as an analyst, as operations and as an
admin, with every log record captured.

The analyst receives none of the markers, and no log line holds one; operations
gets the contact values only masked (``139****5678``); the admin's answers hold
every marker, which proves the scan reads the places the markers show.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from guanxi.core.masking import mask_address, mask_email, mask_phone
from tests.access import (
    AccessCase,
    World,
    build_world,
    case_response,
    response_bytes,
)
from tests.test_access_matrix import CASES

WHEN = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Marks:
    """The marker values of one customer."""

    tag: str
    name: str
    phone: str
    email: str
    address: str
    birthday: dt.date

    @property
    def contact(self) -> list[str]:
        """Values no pseudonymous role may receive, in any form we print."""
        b = self.birthday
        return [
            self.name,
            f"Canaryname{self.tag}",
            self.phone,
            self.phone.removeprefix("+86"),
            self.email,
            self.email.partition("@")[0],
            f"Canaryaddr{self.tag}",
            b.isoformat(),
        ]

    @property
    def contact_forms(self) -> list[str]:
        """The contact values and the other ways a birthday may be written."""
        b = self.birthday
        return [
            *self.contact,
            b.strftime("%Y/%m/%d"),
            f"{b.year}年{b.month}月{b.day}日",
        ]

    @property
    def hidden_from_operations(self) -> list[str]:
        """Operations sees names, never a full contact value or a birthday."""
        return self.contact_forms[2:]

    @property
    def masked(self) -> list[str]:
        return [
            mask_phone(self.phone),
            mask_email(self.email),
            mask_address(self.address),
        ]

    def text(self, kind: str) -> str:
        """A free text about the customer that names and quotes them."""
        return (
            f"Canary{kind}{self.tag}：{self.name} 电话 {self.phone} 邮箱 {self.email}"
        )

    @property
    def free_text(self) -> list[str]:
        """The free-text markers nobody without the customer's data reads."""
        return [f"Canary{kind}{self.tag}" for kind in ("note", "task", "script")]

    @property
    def masked_text(self) -> list[str]:
        """Free text that pseudonymous roles read masked (tickets, survey
        answers): the words show, the name and contact values do not."""
        return [f"Canary{kind}{self.tag}" for kind in ("ticket", "survey")]


OWN = Marks(
    tag="a",
    name="金丝雀甲Canarynamea",
    phone="+8613912345678",
    email="canary.own@example.org",
    address="浙江省杭州市金丝雀路Canaryaddra7号",
    birthday=dt.date(2001, 2, 3),
)
FOREIGN = Marks(
    tag="b",
    name="金丝雀乙Canarynameb",
    phone="+8613712345670",
    email="canary.foreign@example.org",
    address="浙江省杭州市金丝雀街Canaryaddrb9号",
    birthday=dt.date(1999, 8, 17),
)


def _canary(world: World, customer: Any, marks: Marks) -> None:
    from guanxi.care.models import CareTask
    from guanxi.customers.services import customer_apply_contact
    from guanxi.feedback.models import Ticket, TicketEntry
    from guanxi.messaging.models import Broadcast, CallTask, Message
    from guanxi.surveys.models import Answer, Invitation, Survey

    customer.name = marks.name
    customer.phone = marks.phone
    customer.email = marks.email
    customer.address = marks.address
    customer.birthday = marks.birthday
    customer_apply_contact(customer)
    customer.save()
    interaction = (
        world.own_interaction
        if customer.pk == world.own_customer.pk
        else world.foreign_interaction
    )
    interaction.note = marks.text("note")
    interaction.save()
    # A task without a warning (a journey's): the care cases open warnings.
    CareTask.objects.create(
        customer=customer,
        owner=customer.assigned_manager,
        due_on=WHEN.date(),
        remedy="coupon",
        note=marks.text("task"),
    )
    ticket = Ticket.objects.create(
        customer=customer,
        category="complaint",
        channel="phone",
        text=marks.text("ticket"),
        source="staff",
        opened_at=WHEN,
        first_reply_due=WHEN + dt.timedelta(hours=24),
        solve_due=WHEN + dt.timedelta(hours=48),
    )
    TicketEntry.objects.create(
        ticket=ticket, kind="reply", text=marks.text("reply"), created_at=WHEN
    )
    survey = Survey.objects.get(kind="nps")
    invitation = Invitation.objects.create(
        survey=survey,
        customer=customer,
        trigger="manual",
        nonce=f"canary{marks.tag}".ljust(16, "0"),
        expires_at=WHEN + dt.timedelta(days=14),
        answered_at=WHEN,
    )
    Answer.objects.create(
        invitation=invitation,
        survey=survey,
        customer=customer,
        kind="nps",
        score=3,
        text=marks.text("survey"),
        answered_at=WHEN,
    )
    broadcast = Broadcast.objects.create(
        channel="phone", purpose="service", body="{{ name }} 您好", audience="all"
    )
    message = Message.objects.create(
        cause=f"broadcast:{broadcast.pk}",
        broadcast=broadcast,
        customer=customer,
        channel="phone",
        purpose="service",
        idempotency_key=f"canary-{marks.tag}",
    )
    CallTask.objects.create(
        message=message, customer=customer, script=marks.text("script")
    )


def canary_world() -> World:
    """The access world with a marker in every personal value of its customers."""
    world = build_world()
    _canary(world, world.own_customer, OWN)
    _canary(world, world.foreign_customer, FOREIGN)
    return world


class Records(logging.Handler):
    """Every log record, formatted with its traceback, as one text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """The log output while the test runs, every level, every logger (those
    that do not pass records to the root's handlers included)."""
    handler = Records()
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler.lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


SCANNED = ("admin", "operations", "analyst")


def _scanned_cases() -> list[AccessCase]:
    """What a role reads: every GET of the matrix, and the segment's export."""
    return [
        c for c in CASES if c.method == "GET" or c.url_name == "segments:segment-export"
    ]


def _answers(world: World, case: AccessCase) -> dict[str, tuple[int, str]]:
    answers = {}
    with transaction.atomic():
        world.extra.clear()
        if case.setup is not None:
            case.setup(world)
        for role in SCANNED:
            with transaction.atomic():
                response = case_response(case, world, role)
                text = response_bytes(response).decode("utf-8", "replace")
                answers[role] = (int(response.status_code), text)
                transaction.set_rollback(True)
        transaction.set_rollback(True)
    return answers


def _exports(world: World, capture: Any) -> dict[str, list[tuple[str, str]]]:
    """Every export each role may run: customers and orders, CSV and XLSX,
    made by the task queue and downloaded."""
    from django.urls import reverse
    from huey.contrib.djhuey import HUEY

    from guanxi.exports.models import ExportRecord
    from tests.access import make_client

    made: dict[str, list[tuple[str, str]]] = {role: [] for role in SCANNED}
    was = HUEY.immediate
    HUEY.immediate = True
    try:
        for role in SCANNED:
            client = make_client()
            client.force_login(world.users[role])
            for kind in ("customers", "orders"):
                for fmt in ("csv", "xlsx"):
                    with capture(execute=True):
                        response = client.post(
                            reverse("exports:export-create"),
                            {"kind": kind, "format": fmt, "query": ""},
                        )
                    assert response.status_code == 302, (role, kind, fmt)
                    record = ExportRecord.objects.filter(
                        actor=world.users[role]
                    ).latest("pk")
                    assert record.status == ExportRecord.Status.DONE, (role, kind)
                    download = client.get(
                        reverse("exports:export-download", args=[record.pk])
                    )
                    assert download.status_code == 200, (role, kind, fmt)
                    text = response_bytes(download).decode("utf-8", "replace")
                    made[role].append((f"export {kind} {fmt}", text))
    finally:
        HUEY.immediate = was
    return made


@pytest.mark.django_db
def test_no_canary_reaches_the_analyst(
    log_lines: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    world = canary_world()
    texts: dict[str, list[tuple[str, str]]] = {role: [] for role in SCANNED}
    for case in _scanned_cases():
        for role, (status, text) in _answers(world, case).items():
            texts[role].append((f"{case.id} [{status}]", text))
    for role, made in _exports(world, django_capture_on_commit_callbacks).items():
        texts[role] += made

    def found(role: str, values: list[str]) -> dict[str, list[str]]:
        hits: dict[str, list[str]] = {}
        for where, text in texts[role]:
            for value in values:
                if value in text:
                    hits.setdefault(value, []).append(where)
        return hits

    every = [
        "Canaryreplya",
        "Canaryreplyb",
        *OWN.contact,
        *OWN.free_text,
        *OWN.masked_text,
        *FOREIGN.contact,
        *FOREIGN.free_text,
        *FOREIGN.masked_text,
    ]
    problems: dict[str, Any] = {}
    # The scan finds what is there: the admin's answers hold every marker.
    problems["not found as admin"] = sorted(set(every) - set(found("admin", every)))
    hidden = OWN.contact_forms + OWN.free_text + FOREIGN.contact_forms
    problems["analyst saw"] = found("analyst", hidden + FOREIGN.free_text)
    # Ticket and survey texts reach the analyst, masked.
    readable = OWN.masked_text + FOREIGN.masked_text
    problems["analyst did not read"] = sorted(
        set(readable) - set(found("analyst", readable))
    )
    hidden = OWN.hidden_from_operations + FOREIGN.hidden_from_operations
    problems["operations saw"] = found("operations", hidden)
    masked = OWN.masked + FOREIGN.masked
    problems["operations did not see masked"] = sorted(
        set(masked) - set(found("operations", masked))
    )
    logged = "\n".join(log_lines)
    problems["logged"] = [v for v in every if v in logged]
    assert logged  # the handler hears the requests (404s, refusals)
    problems = {k: v for k, v in problems.items() if v}
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
