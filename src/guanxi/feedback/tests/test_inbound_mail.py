"""Inbound e-mail on the feedback address: the signed webhook, real MIME
messages (plain, HTML, multipart with an attachment: kept on the ticket,
``test_attachments`` has the refusals), a known customer's
message opening a ticket or joining its thread, unknown senders in triage,
refusals that change nothing."""

from __future__ import annotations

import time
from email.message import EmailMessage
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from guanxi.customers.models import Customer
from guanxi.feedback.choices import Channel, EntryKind, Source, Status
from guanxi.feedback.mail import MAX_MAIL_BYTES, html_to_text, mail_signature
from guanxi.feedback.models import InboundMail, Ticket, TicketEntry
from guanxi.feedback.services import ticket_open, ticket_reply, ticket_transition

pytestmark = pytest.mark.django_db

SECRET = "inbound-test-secret"
URL = "/f/mail/inbound/"
KNOWN = "wang.fang@example.com"


@pytest.fixture(autouse=True)
def secret(settings: Any) -> None:
    settings.GUANXI_INBOUND_MAIL_SECRET = SECRET


def _message(
    *,
    sender: str = f"王芳 <{KNOWN}>",
    subject: str = "快递太慢",
    text: str | None = "快递五天还没到",
    html: str | None = None,
    message_id: str = "<m1@example.com>",
    attachment: bytes | None = None,
    **headers: str,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "feedback@shop.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="image", subtype="png", filename="a.png"
        )
    return message.as_bytes()


def _post(
    body: bytes, *, secret: str = SECRET, stamp: int | None = None
) -> tuple[int, dict[str, Any]]:
    timestamp = str(int(time.time()) if stamp is None else stamp)
    response = Client().post(
        URL,
        data=body,
        content_type="message/rfc822",
        HTTP_X_GUANXI_TIMESTAMP=timestamp,
        HTTP_X_GUANXI_SIGNATURE=mail_signature(secret, timestamp, body),
    )
    return response.status_code, response.json()


def _state() -> tuple[int, int, int, int]:
    return (
        Ticket.objects.count(),
        TicketEntry.objects.count(),
        InboundMail.objects.count(),
        Customer.objects.count(),
    )


@pytest.fixture
def known(make_customer: Any) -> Customer:
    customer: Customer = make_customer(email=KNOWN)
    return customer


def test_a_known_customer_opens_a_ticket_once_per_message(known: Customer) -> None:
    status, answer = _post(_message())
    ticket = Ticket.objects.get()
    assert (status, answer) == (200, {"result": "opened", "ticket": ticket.pk})
    assert (ticket.customer_id, ticket.text) == (known.pk, "快递五天还没到")
    assert (ticket.channel, ticket.source, ticket.category) == (
        Channel.EMAIL,
        Source.EMAIL,
        "question",
    )
    # The provider retries: the same Message-ID opens nothing more.
    assert _post(_message()) == (200, {"result": "opened", "ticket": ticket.pk})
    assert Ticket.objects.count() == 1
    row = InboundMail.objects.get()
    assert (row.sender, row.text) == ("", "")  # the text lives on the ticket


def test_a_reply_with_the_reference_joins_the_thread_and_reopens_solved(
    known: Customer, users: dict[str, Any]
) -> None:
    ticket = ticket_open(
        actor=users["service"], customer_id=known.pk, category="complaint", text="x"
    )
    ticket_reply(actor=users["service"], ticket_id=ticket.pk, text="已处理")
    ticket_transition(actor=users["service"], ticket_id=ticket.pk, to="in_progress")
    ticket_transition(actor=users["service"], ticket_id=ticket.pk, to="solved")
    body = _message(subject=f"Re: 您的反馈 [#{ticket.pk}]", text="还是没到")
    assert _post(body) == (200, {"result": "appended", "ticket": ticket.pk})
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    said = TicketEntry.objects.filter(ticket=ticket, kind=EntryKind.CUSTOMER).get()
    assert said.text == "还是没到"


def test_a_reference_to_a_closed_or_foreign_ticket_opens_a_new_one(
    known: Customer, make_customer: Any, users: dict[str, Any]
) -> None:
    other = make_customer(email="someone.else@example.com")
    foreign = ticket_open(
        actor=users["service"], customer_id=other.pk, category="complaint", text="y"
    )
    status, answer = _post(_message(subject=f"[#{foreign.pk}] 问题"))
    assert (status, answer["result"]) == (200, "opened")
    assert answer["ticket"] != foreign.pk
    assert not TicketEntry.objects.filter(ticket=foreign, kind=EntryKind.CUSTOMER)
    closed = ticket_open(
        actor=users["service"], customer_id=known.pk, category="complaint", text="z"
    )
    ticket_transition(
        actor=users["service"], ticket_id=closed.pk, to="closed_unsolved", reason="r"
    )
    status, answer = _post(
        _message(subject=f"Re: [#{closed.pk}]", message_id="<m2@example.com>")
    )
    assert answer["result"] == "opened" and answer["ticket"] != closed.pk


def test_an_unknown_sender_waits_in_triage_encrypted_without_a_customer(
    known: Customer,
) -> None:
    before = Customer.objects.count()
    body = _message(sender="stranger@example.net", text="我想问一下价格")
    assert _post(body) == (200, {"result": "triage", "ticket": None})
    assert Customer.objects.count() == before and Ticket.objects.count() == 0
    row = InboundMail.objects.get()
    assert (row.sender, row.subject, row.text) == (
        "stranger@example.net",
        "快递太慢",
        "我想问一下价格",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT sender, text FROM feedback_inboundmail")
        sender, text = cursor.fetchone()
    assert sender.startswith("v1:") and "stranger" not in sender
    assert text.startswith("v1:")


def test_html_is_reduced_to_text_and_an_image_attachment_is_kept(
    known: Customer,
) -> None:
    html = (
        "<html><head><style>p{color:red}</style><title>t</title></head><body>"
        "<p>包装&amp;破损</p><script>alert('x')</script><div>请尽快<b>处理</b></div>"
        '<img src="x" onerror="alert(1)"></body></html>'
    )
    body = _message(text=None, html=html, attachment=b"\x89PNG\r\n\x1a\n" + b"0" * 50)
    assert _post(body)[1]["result"] == "opened"
    assert Ticket.objects.get().text == "包装&破损\n\n请尽快处理"
    assert Ticket.objects.get().attachments.get().name == "a.png"
    # With both parts, the plain text is taken.
    both = _message(text="纯文本", html="<p>HTML</p>", message_id="<m3@example.com>")
    _post(both)
    assert Ticket.objects.order_by("-pk").first().text == "纯文本"  # type: ignore[union-attr]


def test_html_to_text_keeps_no_markup() -> None:
    assert html_to_text("<p>a<br>b</p><script>c</script>&lt;i&gt;") == "a\nb\n<i>"


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"secret": "wrong"}, 403, "bad signature"),
        ({"stamp": int(time.time()) - 3600}, 403, "bad signature"),
    ],
)
def test_a_bad_signature_or_an_old_timestamp_changes_nothing(
    known: Customer, change: dict[str, Any], status: int, error: str
) -> None:
    before = _state()
    assert _post(_message(), **change) == (status, {"error": error})
    assert _state() == before


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (
            b"From: a@example.com\r\n\r\n" + b"x" * MAX_MAIL_BYTES,
            413,
            f"The e-mail is larger than {MAX_MAIL_BYTES} bytes.",
        ),
        (b"Subject: hi\r\n\r\nno sender", 400, "The e-mail has no sender."),
        (b"\x00\xff garbage", 400, "The e-mail has no sender."),
    ],
)
def test_bad_messages_are_refused_with_their_reason_and_change_nothing(
    known: Customer, body: bytes, status: int, error: str
) -> None:
    before = _state()
    assert _post(body) == (status, {"error": error})
    assert _state() == before


def test_an_auto_reply_is_ignored(known: Customer) -> None:
    before = _state()
    body = _message(Auto_Submitted="auto-replied")
    assert _post(body) == (200, {"result": "ignored"})
    assert _state() == before


def test_without_a_secret_there_is_no_webhook(settings: Any) -> None:
    settings.GUANXI_INBOUND_MAIL_SECRET = ""
    body = _message()
    assert (
        Client().post(URL, data=body, content_type="message/rfc822").status_code == 404
    )
    assert Client().get(URL).status_code in (404, 405)


def test_the_triage_page_shows_unknown_senders_escaped(client_for: Any) -> None:
    _post(_message(sender="stranger@example.net", text="<script>x()</script>价格?"))
    page = client_for("service").get("/feedback/inbound/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "stranger@example.net" in html
    assert "&lt;script&gt;x()&lt;/script&gt;价格?" in html and "<script>x()" not in html
    assert "E-mail triage" in html
    refused = client_for("account_manager").get("/feedback/inbound/")
    assert refused.status_code == 403
