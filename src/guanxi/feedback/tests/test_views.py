"""The feedback pages: the public form refuses oversized and hostile input
(or stores it as text and shows it escaped), analysts read texts without the
canary customer's phone, e-mail or name, the inbox filters, staff reply and
move tickets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.feedback.links import form_token, ticket_token
from guanxi.feedback.models import ClosingDay, Ticket, TicketEntry
from guanxi.feedback.services import ticket_open, ticket_reply

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"
SQL = "'; DROP TABLE feedback_ticket; --"


def _form_url(world: Any) -> str:
    return reverse(
        "feedback-public:form", args=[form_token(customer_id=world.own_customer.pk)]
    )


def test_public_form_files_a_ticket(world: Any, client_for: Any) -> None:
    client = client_for("anonymous")
    page = client.get(_form_url(world))
    assert page.status_code == 200
    assert 'name="viewport"' in page.content.decode()
    answer = client.post(
        _form_url(world), {"category": "complaint", "text": "包装破了"}
    )
    ticket = Ticket.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse(
        "feedback-public:ticket", args=[ticket_token(ticket_id=ticket.pk)]
    )
    assert (ticket.customer_id, ticket.source, ticket.channel) == (
        world.own_customer.pk,
        "public",
        "web",
    )


def test_public_form_refuses_oversized_input(world: Any, client_for: Any) -> None:
    client = client_for("anonymous")
    long_text = client.post(
        _form_url(world), {"category": "complaint", "text": "长" * 5001}
    )
    assert long_text.status_code == 400
    assert "The text is longer than 5000 characters." in long_text.content.decode()
    # The form takes files now: a body within the upload's allowance is read,
    # and its text refused as too long (test_attachment_channels: a body
    # beyond the allowance is refused unread, 413).
    huge = client.post(_form_url(world), {"category": "complaint", "text": "x" * 40000})
    assert huge.status_code == 400
    assert "The text is longer than 5000 characters." in huge.content.decode()
    bad = client.post(_form_url(world), {"category": "<b>", "text": "hi"})
    assert bad.status_code == 400
    assert "Choose a category." in bad.content.decode()
    assert client.get(_form_url(world) + "x/").status_code == 404
    assert client.get(_form_url(world)[:-3] + "AA/").status_code == 404
    assert not Ticket.objects.exists()


def test_hostile_text_is_stored_as_text_and_shown_escaped(
    world: Any, client_for: Any
) -> None:
    client = client_for("anonymous")
    text = f"{SCRIPT} {SQL}"
    client.post(_form_url(world), {"category": "complaint", "text": text})
    ticket = Ticket.objects.get()
    assert ticket.text == text
    public = client.get(
        reverse("feedback-public:ticket", args=[ticket_token(ticket_id=ticket.pk)])
    ).content.decode()
    staff = client_for("service").get(reverse("feedback:ticket", args=[ticket.pk]))
    inbox = client_for("service").get(reverse("feedback:inbox"))
    for body in (public, staff.content.decode(), inbox.content.decode()):
        assert SCRIPT not in body
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
        assert "&#x27;; DROP TABLE feedback_ticket; --" in body


def test_analysts_read_no_phone_email_or_name_of_the_canary(
    world: Any, client_for: Any
) -> None:
    canary = world.own_customer  # 王芳, +8613800138000, wang.fang@example.com
    ticket = ticket_open(
        actor=world.users["service"],
        customer_id=canary.pk,
        category="complaint",
        text="我是王芳，电话 138 0013 8000，邮箱 wang.fang@example.com，"
        "或者 +86-138-0013-8000 / 13800138000",
    )
    ticket_reply(
        actor=world.users["service"],
        ticket_id=ticket.pk,
        text="王芳您好，我们会打 13800138000 联系您",
    )
    leaks = ("王芳", "13800138000", "138 0013 8000", "138-0013-8000", "wang.fang")
    analyst = client_for("analyst")
    for url in (
        reverse("feedback:inbox"),
        reverse("feedback:ticket", args=[ticket.pk]),
    ):
        body = analyst.get(url).content.decode()
        assert "[phone]" in body
        for leak in leaks:
            assert leak not in body, (url, leak)
    # The service role reads the customer's own words.
    body = client_for("service").get(reverse("feedback:ticket", args=[ticket.pk]))
    assert "wang.fang@example.com" in body.content.decode()
    # Operations see contact data masked, names shown.
    body = client_for("operations").get(reverse("feedback:ticket", args=[ticket.pk]))
    text = body.content.decode()
    assert "wang.fang@example.com" not in text and "13800138000" not in text


def test_inbox_filters_and_pages(world: Any, client_for: Any) -> None:
    now = timezone.now()
    for n in range(55):
        Ticket.objects.create(
            customer=world.own_customer,
            category="complaint" if n % 2 else "praise",
            channel="phone",
            text=f"t{n}",
            source="staff",
            opened_at=now - dt.timedelta(hours=n),
            first_reply_due=now + dt.timedelta(hours=1 - n),
            solve_due=now + dt.timedelta(hours=48 - n),
        )
    client = client_for("account_manager")
    first = client.get(reverse("feedback:inbox"))
    assert first.content.decode().count("data-ticket=") == 50
    assert 'rel="next"' in first.content.decode()
    second = client.get(reverse("feedback:inbox") + "?page=2")
    assert second.content.decode().count("data-ticket=") == 5
    praise = client.get(reverse("feedback:inbox") + "?category=praise")
    assert praise.content.decode().count("data-ticket=") == 28
    overdue = client.get(reverse("feedback:inbox") + "?overdue=1&page=2")
    assert overdue.content.decode().count("data-ticket=") == 4  # all but t0


def test_reply_and_status_pages(world: Any, client_for: Any) -> None:
    ticket = ticket_open(
        actor=world.users["service"],
        customer_id=world.own_customer.pk,
        category="question",
        text="怎么退货？",
    )
    client = client_for("service")
    url = reverse("feedback:ticket-reply", args=[ticket.pk])
    assert client.post(url, {"text": "请提供订单号"}).status_code == 302
    bad = client.post(
        reverse("feedback:ticket-status", args=[ticket.pk]), {"status": "confirmed"}
    )
    assert bad.status_code == 400
    assert (
        "A ticket cannot go from “Acknowledged” to “Confirmed”." in bad.content.decode()
    )
    assert Ticket.objects.get(pk=ticket.pk).status == "acknowledged"
    assert TicketEntry.objects.filter(kind="reply").count() == 1


def test_settings_page_saves_and_refuses(world: Any, client_for: Any) -> None:
    client = client_for("admin")
    url = reverse("feedback:settings")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"action": "closing-add", "day": "2026-13-01"})
    assert bad.status_code == 400
    assert "Give the day as YYYY-MM-DD." in bad.content.decode()
    assert not ClosingDay.objects.exists()
    assert (
        client.post(url, {"action": "closing-add", "day": "2026-12-24"}).status_code
        == 302
    )
    assert list(ClosingDay.objects.values_list("day", flat=True)) == [
        dt.date(2026, 12, 24)
    ]
    business = client.post(
        url,
        {"action": "clock", "hours_mode": "business", "warn_before_hours": "4"},
    )
    assert business.status_code == 400
    assert (
        "Business hours need opening hours on at least one day."
        in business.content.decode()
    )
