"""The customer's own ticket page lists the files they sent (the public form,
their e-mails) and gives each back through the page's signed link, audited
like a staff download; staff files stay internal; a wrong link, another
ticket's file or a staff file is missing, exactly as the page answers a
wrong link, and writes nothing."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.audit.models import AuditEvent
from guanxi.feedback.attaching import attachments_check, attachments_store
from guanxi.feedback.files import files_guard
from guanxi.feedback.links import ticket_token
from guanxi.feedback.models import Attachment, Ticket
from guanxi.feedback.services import attachments_add, ticket_open
from guanxi.feedback.tests.test_attachments import PDF, TEXT, png

pytestmark = pytest.mark.django_db


def _ticket(world: Any, key: str = "own_customer") -> Ticket:
    return ticket_open(
        actor=world.users["service"],
        customer_id=getattr(world, key).pk,
        category="complaint",
        text="包装破了",
    )


def _sent(ticket: Ticket, name: str, data: bytes, source: str) -> Attachment:
    with files_guard():
        (found,) = attachments_store(
            ticket,
            attachments_check([(io.BytesIO(data), name)]),
            source=source,
            now=timezone.now(),
        ).added
    return found


def _staff(world: Any, ticket: Ticket, name: str, data: bytes) -> Attachment:
    (found,) = attachments_add(
        actor=world.users["service"],
        ticket_id=ticket.pk,
        files=[(io.BytesIO(data), name)],
    ).added
    return found


def _page(ticket: Ticket, token: str = "") -> str:
    return reverse(
        "feedback-public:ticket", args=[token or ticket_token(ticket_id=ticket.pk)]
    )


def _file(ticket: Ticket, found: Attachment, token: str = "") -> str:
    return reverse(
        "feedback-public:attachment",
        args=[token or ticket_token(ticket_id=ticket.pk), found.pk],
    )


def test_the_page_lists_the_customers_own_files_never_staff_files(
    world: Any,
) -> None:
    ticket = _ticket(world)
    photo = _sent(ticket, "破损照片.png", png(), "public")
    mailed = _sent(ticket, "发票.pdf", PDF, "email")
    staff = _staff(world, ticket, "内部记录.txt", TEXT)
    client = Client()
    token = ticket_token(ticket_id=ticket.pk)
    with translation.override("en"):
        answer = client.get(_page(ticket, token), HTTP_ACCEPT_LANGUAGE="en")
    html = answer.content.decode()
    assert "<h2>Files you sent</h2>" in html
    assert f'<a href="{_file(ticket, photo, token)}" download>破损照片.png</a>' in html
    assert f'<a href="{_file(ticket, mailed, token)}" download>发票.pdf</a>' in html
    assert f"PNG · {photo.size} B · " in html
    assert f"PDF · {mailed.size} B · " in html
    assert "内部记录" not in html and f"/files/{staff.pk}/" not in html
    chinese = client.get(_page(ticket), HTTP_ACCEPT_LANGUAGE="zh-hans").content
    assert "<h2>您发送的文件</h2>" in chinese.decode()
    # Without a file of theirs, no heading.
    other = _ticket(world)
    _staff(world, other, "内部记录.txt", TEXT)
    empty = client.get(_page(other), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Files you sent" not in empty and "内部记录" not in empty


def test_a_file_comes_back_whole_as_a_download_and_is_audited(world: Any) -> None:
    ticket = _ticket(world)
    data = png(12, 9)
    photo = _sent(ticket, "王芳的照片.png", data, "public")
    answer = Client().get(_file(ticket, photo))
    assert answer.status_code == 200
    assert answer.content == data
    assert answer["Content-Type"] == "image/png"
    assert answer["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E7%8E%8B%E8%8A%B3%E7%9A%84%E7%85%A7%E7%89%87.png"
    )
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Content-Security-Policy"].startswith("sandbox;")
    assert answer["Cache-Control"] == "private, no-store"
    # ?inline=1 is the staff thumbnail's; the customer's link always downloads.
    again = Client().get(_file(ticket, photo) + "?inline=1")
    assert again["Content-Disposition"].startswith("attachment;")
    events = list(AuditEvent.objects.filter(action="attachment.downloaded"))
    assert len(events) == 2
    event = events[0]
    assert (
        event.actor,
        event.actor_label,
        event.object_type,
        event.object_id,
        event.customer_id,
        event.details,
    ) == (None, "", "ticket", str(ticket.pk), world.own_customer.pk, {"via": "link"})
    assert "王芳" not in str(event.__dict__)


def test_a_hostile_name_is_shown_and_offered_as_text_only(world: Any) -> None:
    ticket = _ticket(world)
    found = _sent(ticket, '<img src=x onerror=alert(1)>".txt', TEXT, "public")
    assert found.name == '<img src=x onerror=alert(1)>".txt'
    html = Client().get(_page(ticket)).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;.txt" in html
    answer = Client().get(_file(ticket, found))
    assert answer["Content-Type"] == "text/plain; charset=utf-8"
    assert answer["Content-Disposition"] == (
        'attachment; filename="<img src=x onerror=alert(1)>\\".txt"'
    )


def _page_of(answer: Any, path: str) -> str:
    """A 404 page without its form token and the address it was asked at."""
    return re.sub(r"[A-Za-z0-9]{64}", "", answer.content.decode().replace(path, ""))


def test_wrong_links_and_other_files_are_missing_like_the_page(world: Any) -> None:
    ticket = _ticket(world)
    photo = _sent(ticket, "a.png", png(), "public")
    staff = _staff(world, ticket, "b.pdf", PDF)
    other = _ticket(world, "foreign_customer")
    theirs = _sent(other, "c.png", png(5, 5), "public")
    token = ticket_token(ticket_id=ticket.pk)
    tampered = (
        ticket_token(ticket_id=other.pk).split(":")[0] + token[token.index(":") :]
    )
    client = Client()
    wrong = f"/f/t/{tampered}/"
    wrong_page = client.get(wrong)
    assert wrong_page.status_code == 404
    refused = [
        _file(ticket, photo, token=tampered),  # a forged link
        _file(ticket, photo, token="nonsense"),
        _file(ticket, photo, token=token[:-2]),  # a cut link
        _file(ticket, staff),  # a staff file on the customer's own ticket
        _file(ticket, theirs),  # another ticket's file under this link
        _file(other, photo),  # this file under another ticket's link
        f"/f/t/{token}/files/999999/",
    ]
    for url in refused:
        answer = client.get(url)
        assert answer.status_code == 404, url
        # The same page as a wrong ticket link (only the form token differs).
        assert _page_of(answer, url) == _page_of(wrong_page, wrong), url
    # A deleted ticket's link: missing too.
    gone = _ticket(world)
    gone_file = _sent(gone, "d.png", png(6, 6), "public")
    gone_url = _file(gone, gone_file)
    Ticket.objects.filter(pk=gone.pk).delete()
    assert client.get(gone_url).status_code == 404
    assert client.post(_file(ticket, photo)).status_code == 405
    assert not AuditEvent.objects.filter(action="attachment.downloaded").exists()
    assert Attachment.objects.count() == 3
