"""A copy of the database holds no personal value in clear (issue 13, tests):
canary customers with marker values in every personal field and in the free
text about them (notes, a list query searching for one); then the SQLite file and its write-ahead log, or a
``pg_dump`` of PostgreSQL, are scanned byte by byte for the markers."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

NAME = "金丝雀丁某"
PHONE = "+8613987654321"
EMAIL = "canary.delta.mark@example.org"
ADDRESS = "金丝雀大道77号楼"
BIRTHDAY = dt.date(1983, 9, 17)
NOTE = "金丝雀丁说她的孩子在金丝雀小学"
TASK_NOTE = "金丝雀回访记录：不满意包装"
TICKET_TEXT = "金丝雀投诉：快递员把包裹放在门口"
REPLY_TEXT = "金丝雀回复：已联系快递公司"
STAFF_NOTE = "金丝雀内部备注：客户很生气"
CLOSE_REASON = "金丝雀关闭原因：产品停产"
PUBLIC_TEXT = "金丝雀表单：希望多些口味"
ANSWER_TEXT = "金丝雀问卷：价格太贵"
PAIN_TEXT = "金丝雀痛点：包装难拆"
CANARIES = [
    NAME,
    PHONE,
    PHONE.removeprefix("+86"),
    EMAIL,
    "canary.delta.mark",
    ADDRESS,
    BIRTHDAY.isoformat(),
    NOTE,
    TASK_NOTE,
    TICKET_TEXT,
    REPLY_TEXT,
    STAFF_NOTE,
    CLOSE_REASON,
    PUBLIC_TEXT,
    ANSWER_TEXT,
    PAIN_TEXT,
]


def _make_canaries(make_customer: Any, make_user: Any) -> None:
    from guanxi.access.choices import Role
    from guanxi.care.models import CareTask, ChurnWarning
    from guanxi.customers.models import Interaction, SavedView
    from guanxi.exports.models import ExportRecord

    person = make_customer(
        name=NAME, phone=PHONE, email=EMAIL, address=ADDRESS, birthday=BIRTHDAY
    )
    now = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    Interaction.objects.create(
        customer=person, kind="complaint", occurred_at=now, note=NOTE
    )
    warning = ChurnWarning.objects.create(
        customer=person, signals={}, opened_as_of=now.date(), as_of=now.date()
    )
    CareTask.objects.create(
        warning=warning,
        customer=person,
        due_on=now.date(),
        remedy="coupon",
        note=TASK_NOTE,
    )
    # A list searched by the canary's phone, kept as a view and an export.
    searched = f"q={PHONE.removeprefix('+86')}"
    admin = make_user(Role.ADMIN)
    SavedView.objects.create(owner=admin, name="canary", query=searched)
    ExportRecord.objects.create(
        actor=admin,
        actor_label="admin",
        role="admin",
        kind="customers",
        destination="-",
        query=searched,
    )
    _ticket_and_answer_canaries(person, admin, now)


def _ticket_and_answer_canaries(person: Any, admin: Any, now: dt.datetime) -> None:
    """A ticket with a reply, a note and a close reason; one filed on the
    public form; a survey answer with free texts."""
    from guanxi.feedback.links import form_token
    from guanxi.feedback.services import (
        public_ticket_file,
        ticket_open,
        ticket_reply,
        ticket_transition,
    )
    from guanxi.surveys.models import Answer, Invitation, Survey

    ticket = ticket_open(
        actor=admin, customer_id=person.pk, category="complaint", text=TICKET_TEXT
    )
    ticket_reply(actor=admin, ticket_id=ticket.pk, text=REPLY_TEXT)
    ticket_reply(actor=admin, ticket_id=ticket.pk, text=STAFF_NOTE, internal=True)
    ticket_transition(
        actor=admin, ticket_id=ticket.pk, to="closed_unsolved", reason=CLOSE_REASON
    )
    public_ticket_file(
        token=form_token(customer_id=person.pk),
        category="suggestion",
        text=PUBLIC_TEXT,
    )
    survey, _ = Survey.objects.get_or_create(kind="needs")
    invitation = Invitation.objects.create(
        survey=survey, customer=person, trigger="manual", nonce="n", expires_at=now
    )
    Answer.objects.create(
        invitation=invitation,
        survey=survey,
        customer=person,
        kind="needs",
        text=ANSWER_TEXT,
        pain_points=PAIN_TEXT,
    )


def _found(data: bytes) -> list[str]:
    return [c for c in CANARIES if c.encode("utf-8") in data]


@pytest.mark.django_db(transaction=True)
def test_the_database_files_hold_no_canary(make_customer: Any, make_user: Any) -> None:
    _make_canaries(make_customer, make_user)
    if connection.vendor == "sqlite":
        name = Path(str(connection.settings_dict["NAME"]))
        files = [name, Path(f"{name}-wal")]
        if not name.exists():
            pytest.skip("an in-memory database has no file")
        data = b"".join(p.read_bytes() for p in files if p.exists())
        assert Path(f"{name}-wal").exists()  # the rows are in the log, or both
    else:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            pytest.skip("pg_dump is not installed")
        params = connection.get_connection_params()
        env = {**os.environ, "PGPASSWORD": str(params.get("password") or "")}
        data = subprocess.run(
            [
                pg_dump,
                "--data-only",
                "-h",
                str(params.get("host") or "127.0.0.1"),
                "-p",
                str(params.get("port") or 5432),
                "-U",
                str(params.get("user") or "postgres"),
                str(params["dbname"]),
            ],
            env=env,
            check=True,
            capture_output=True,
        ).stdout
    assert b"v1:" in data  # the scan reads the rows: their ciphertext is there
    assert _found(data) == []


# --- the task queue ----------------------------------------------------------


@pytest.fixture(params=["configured", "redis"])
def huey_storage(request: Any) -> Any:
    """The task queue's storage: the one settings configure (SQLite by
    default, Redis when REDIS_URL is set), and Redis at the test server's
    address (GUANXI_TEST_REDIS_URL) when one runs; emptied before and after."""
    from huey.contrib.djhuey import HUEY

    storage = HUEY.storage
    if request.param == "redis":
        url = os.environ.get("GUANXI_TEST_REDIS_URL", "")
        if not url:
            pytest.skip("no test Redis (GUANXI_TEST_REDIS_URL)")
        from huey.storage import RedisStorage

        storage = RedisStorage(name="guanxi-canary-test", url=url)
    was, immediate = HUEY.storage, HUEY.immediate
    HUEY.storage, HUEY.immediate = storage, False
    storage.flush_all()
    yield storage
    storage.flush_all()
    HUEY.storage, HUEY.immediate = was, immediate


def _queue_bytes(storage: Any) -> bytes:
    """Everything the queue holds: queued and scheduled tasks, results, and
    for SQLite the file and its write-ahead log."""
    items = [*storage.enqueued_items(), *storage.scheduled_items()]
    items += list(storage.result_items().values())
    data = b"".join(i if isinstance(i, bytes) else str(i).encode() for i in items)
    name = getattr(storage, "filename", None)
    if name:
        data += b"".join(
            Path(f).read_bytes() for f in (name, f"{name}-wal") if Path(f).exists()
        )
    return data


@pytest.mark.django_db
def test_the_task_queue_holds_no_canary(
    huey_storage: Any,
    make_customer: Any,
    make_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from guanxi.access.choices import Role
    from guanxi.customers.bulk_actions import bulk_action_confirm, bulk_action_prepare
    from guanxi.customers.models import Tag
    from guanxi.exports.background import export_request
    from guanxi.insights.services import score_run_enqueue
    from guanxi.messaging.services import broadcast_send

    _make_canaries(make_customer, make_user)
    admin = make_user(Role.ADMIN)
    searched = PHONE.removeprefix("+86")
    # Work queued about the canary: an export and a bulk action of the list
    # searched by the canary's phone, messages to them, a scoring run.
    with django_capture_on_commit_callbacks(execute=True):
        export_request(
            actor=admin,
            kind="customers",
            fmt="csv",
            query=f"q={searched}",
            language="en",
        )
    tag = Tag.objects.create(name="queued")
    with django_capture_on_commit_callbacks(execute=True):
        action = bulk_action_prepare(
            actor=admin,
            kind="tag",
            tag=tag.pk,
            everyone_matching=True,
            params={"q": searched},
        )
        bulk_action_confirm(actor=admin, action=action)
    with django_capture_on_commit_callbacks(execute=True):
        queued = broadcast_send(
            channel="phone",
            purpose="service",
            template_text=f"{{{{ name }}}} 您好 {NOTE}",
            audience="all",
            actor=admin,
        )
    assert queued.queued >= 1
    score_run_enqueue(actor=admin, as_of=dt.date(2026, 11, 30))

    assert len(huey_storage.enqueued_items()) >= 4
    assert _found(_queue_bytes(huey_storage)) == []
    # The scan finds a marker the queue holds.
    huey_storage.enqueue(f"probe {NAME} {EMAIL}".encode())
    assert _found(_queue_bytes(huey_storage)) == [NAME, EMAIL, "canary.delta.mark"]
