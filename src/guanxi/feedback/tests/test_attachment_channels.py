"""Attachments by every way in: the customer's public form (same checks,
same hourly limit), an inbound e-mail (allowed types kept, the others
dropped and noted on the ticket), the API (multipart upload and list)."""

from __future__ import annotations

import time
from email.message import EmailMessage
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from guanxi.customers.models import Customer
from guanxi.customers.services import customer_apply_contact
from guanxi.feedback.links import form_token
from guanxi.feedback.mail import mail_signature
from guanxi.feedback.models import Attachment, Ticket, TicketEntry
from guanxi.feedback.services import ticket_open
from guanxi.feedback.tests.test_attachments import PDF, TEXT, TYPE_MESSAGE, png

pytestmark = pytest.mark.django_db

SECRET = "inbound-test-secret"


def _form_url(world: Any) -> str:
    return reverse(
        "feedback-public:form", args=[form_token(customer_id=world.own_customer.pk)]
    )


def test_the_public_form_takes_files_with_the_same_checks(
    world: Any, client_for: Any, data_dir: Any
) -> None:
    client = client_for("anonymous")
    page = client.get(_form_url(world)).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="files"' in page
    bad = client.post(
        _form_url(world),
        {
            "category": "complaint",
            "text": "照片",
            "files": [
                SimpleUploadedFile("a.png", png()),
                SimpleUploadedFile("b.png", b"<html><script>x</script></html>"),
            ],
        },
    )
    assert bad.status_code == 400
    assert TYPE_MESSAGE.replace("File 1", "File 2") in bad.content.decode()
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    assert not (data_dir / "attachments").exists() or not any(
        p.is_file() for p in (data_dir / "attachments").rglob("*")
    )
    good = client.post(
        _form_url(world),
        {
            "category": "complaint",
            "text": "照片",
            "files": [SimpleUploadedFile("破损.png", png())],
        },
    )
    assert good.status_code == 302
    ticket = Ticket.objects.get()
    (found,) = ticket.attachments.all()
    assert (found.name, found.source, found.added_by) == ("破损.png", "public", None)
    huge = client.post(
        _form_url(world),
        {"category": "complaint", "text": "x"},
        CONTENT_LENGTH=str(1 << 30),
    )
    assert huge.status_code == 413
    assert "The upload is larger than 25 MB (5 files of 5 MB)." in huge.content.decode()
    assert Ticket.objects.count() == 1


def test_the_public_form_is_rate_limited_with_files(
    world: Any, client_for: Any
) -> None:
    client = client_for("anonymous")
    for n in range(6):
        answer = client.post(
            _form_url(world),
            {
                "category": "complaint",
                "text": f"第{n}次",
                "files": [SimpleUploadedFile("a.txt", f"{n}".encode())],
            },
        )
    assert answer.status_code == 400
    assert "Too many messages in an hour." in answer.content.decode()
    assert (Ticket.objects.count(), Attachment.objects.count()) == (5, 5)


def _mail(*parts: tuple[str, str, str, bytes], message_id: str = "<a1@x>") -> bytes:
    message = EmailMessage()
    message["From"] = "王芳 <wang.fang@example.com>"
    message["To"] = "feedback@shop.example"
    message["Subject"] = "照片"
    message["Message-ID"] = message_id
    message.set_content("看附件")
    for maintype, subtype, name, data in parts:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def _post(body: bytes) -> dict[str, Any]:
    stamp = str(int(time.time()))
    answer = Client().post(
        "/f/mail/inbound/",
        data=body,
        content_type="message/rfc822",
        HTTP_X_GUANXI_TIMESTAMP=stamp,
        HTTP_X_GUANXI_SIGNATURE=mail_signature(SECRET, stamp, body),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    result: dict[str, Any] = answer.json()
    return result


def test_an_inbound_mail_keeps_allowed_attachments_and_notes_the_rest(
    settings: Any,
) -> None:
    settings.GUANXI_INBOUND_MAIL_SECRET = SECRET
    customer = Customer(name="王芳", email="wang.fang@example.com")
    customer_apply_contact(customer)
    customer.save()
    body = _mail(
        ("image", "png", "photo.png", png()),
        ("application", "pdf", "invoice.pdf", PDF),
        # Claims to be an image; is a page with a script.
        ("image", "png", "evil.png", b"<html><script>alert(1)</script></html>"),
        ("application", "zip", "all.zip", b"PK\x03\x04" + b"\x00" * 30),
    )
    result = _post(body)
    assert result["result"] == "opened"
    ticket = Ticket.objects.get()
    kept = sorted(ticket.attachments.values_list("name", "content_type", "source"))
    assert kept == [
        ("invoice.pdf", "application/pdf", "email"),
        ("photo.png", "image/png", "email"),
    ]
    note = TicketEntry.objects.get(ticket=ticket, kind="note")
    assert note.text == "2 attachments refused: not an allowed type"
    # A reply on the thread: its file goes on the thread's line.
    reply = _mail(("text", "plain", "more.txt", TEXT), message_id="<a2@x>").replace(
        b"Subject: =?utf-8?b?54Wn54mH?=", f"Subject: Re [#{ticket.pk}]".encode()
    )
    assert _post(reply)["result"] == "appended"
    (added,) = [a for a in ticket.attachments.all() if a.name == "more.txt"]
    assert added.entry is not None and added.entry.kind == "customer"


def test_the_api_uploads_and_lists(world: Any) -> None:
    from guanxi.access.tests.factories import api_token_for

    ticket = ticket_open(
        actor=world.users["service"],
        customer_id=world.own_customer.pk,
        category="complaint",
        text="破了",
    )
    url = reverse("api-feedback-ticket-attachments", args=[ticket.pk])

    def client(role: str) -> Client:
        return Client(
            headers={
                "Authorization": f"Token {api_token_for(world.users[role])}",
                "Accept-Language": "en",
            }
        )

    service = client("service")
    added = service.post(
        url,
        {
            "files": [
                SimpleUploadedFile("王芳.png", png()),
                SimpleUploadedFile("b.txt", TEXT),
            ]
        },
    )
    assert added.status_code == 201
    body = added.json()
    assert body["duplicates"] == 0
    assert [(a["name"], a["content_type"]) for a in body["added"]] == [
        ("王芳.png", "image/png"),
        ("b.txt", "text/plain"),
    ]
    refused = service.post(url, {"files": [SimpleUploadedFile("c.png", b"MZ\x90\x00")]})
    assert refused.status_code == 400
    assert refused.json() == {"files": [TYPE_MESSAGE]}
    huge = service.post(
        url,
        {"files": [SimpleUploadedFile("d.png", png())]},
        CONTENT_LENGTH=str(1 << 30),
    )
    assert huge.status_code == 413
    assert huge.json() == {
        "detail": "The upload is larger than 25 MB (5 files of 5 MB)."
    }
    assert Attachment.objects.count() == 2
    listed = client("analyst").get(url).json()
    assert [(a["name"], a["size"]) for a in listed] == [
        (None, len(png())),
        (None, len(TEXT)),
    ]
    assert [a["name"] for a in service.get(url).json()] == ["王芳.png", "b.txt"]
