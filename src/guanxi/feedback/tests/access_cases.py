"""Who may reach the feedback pages (see tests/access.py).

Every role with a role reads the ticket inbox and a ticket's page, over the
customers in its scope (an account manager: their own; another manager's
customer's ticket is answered as missing, 404); analysts and operations read
the texts masked. Admins, service and account managers work tickets (reply,
status, a new ticket); operations and analysts are refused (403). The SLA
settings are an admin's; the e-mail triage an admin's or service's. The
customer's pages (``f/``) are public: the signed
link is the only key, logged in or not; the mail provider's webhook, its
signature.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.access import AccessCase, World, expect


def _tickets(world: World) -> None:
    from guanxi.feedback.models import Ticket

    now = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
    for key, customer in (
        ("own_ticket", world.own_customer),
        ("foreign_ticket", world.foreign_customer),
    ):
        world.extra[key] = Ticket.objects.create(
            customer=customer,
            category="complaint",
            channel="phone",
            text="物流太慢 138 0013 8000",
            source="staff",
            opened_at=now,
            first_reply_due=now + dt.timedelta(hours=24),
            solve_due=now + dt.timedelta(hours=48),
        )


def _triage(world: World) -> None:
    from guanxi.feedback.models import InboundMail

    InboundMail.objects.create(
        message_key="k" * 64,
        received_at=dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC),
        outcome=InboundMail.Outcome.TRIAGE,
        sender="stranger@example.net",
        subject="价格",
        text="<script>alert(1)</script>多少钱",
    )


def _own(world: World) -> list[Any]:
    return [world.extra["own_ticket"].pk]


def _foreign(world: World) -> list[Any]:
    return [world.extra["foreign_ticket"].pk]


def _form(customer_key: str) -> Any:
    def args(world: World) -> list[str]:
        from guanxi.feedback.links import form_token

        return [form_token(customer_id=getattr(world, customer_key).pk)]

    return args


def _public_ticket(key: str) -> Any:
    def args(world: World) -> list[str]:
        from guanxi.feedback.links import ticket_token

        return [ticket_token(ticket_id=world.extra[key].pk)]

    return args


READ = expect(200, anonymous=302, no_role=403)
READ_FOREIGN = expect(200, anonymous=302, no_role=403, account_manager=404)
WORK = expect(302, anonymous=302, no_role=403, operations=403, analyst=403)
WORK_FOREIGN = expect(
    302, anonymous=302, no_role=403, operations=403, analyst=403, account_manager=404
)
PUBLIC = expect(200)


def _reply(world: World) -> dict[str, str]:
    return {"text": "非常抱歉"}


def _status(world: World) -> dict[str, str]:
    return {"status": "in_progress"}


CASES = [
    AccessCase("feedback:inbox", READ, setup=_tickets),
    AccessCase("feedback:inbox", READ, query="overdue=1&owner=me", label="filtered"),
    AccessCase(
        "feedback:ticket-new",
        expect(200, anonymous=302, no_role=403, operations=403, analyst=403),
    ),
    AccessCase(
        "feedback:ticket-new",
        expect(400, anonymous=302, no_role=403, operations=403, analyst=403),
        method="POST",
        data=lambda w: {"customer": "", "category": "complaint", "text": ""},
        label="bad",
    ),
    AccessCase("feedback:settings", expect(403, anonymous=302, admin=200)),
    AccessCase("feedback:report", READ, setup=_tickets),
    # E-mails from unknown senders: admins and service (every customer's
    # staff); an account manager's scope holds none of them.
    AccessCase(
        "feedback:inbound-triage",
        expect(403, anonymous=302, admin=200, service=200),
        setup=_triage,
    ),
    AccessCase(
        "feedback:report",
        expect(400, anonymous=302, no_role=403),
        query="start=2026-13-01",
        label="bad date",
    ),
    AccessCase(
        "feedback:settings",
        expect(403, anonymous=302, admin=302),
        method="POST",
        data=lambda w: {"action": "closing-add", "day": "2026-12-24"},
        label="closing day",
    ),
    AccessCase("feedback:ticket", READ, args=_own, setup=_tickets, label="own"),
    AccessCase(
        "feedback:ticket", READ_FOREIGN, args=_foreign, setup=_tickets, label="foreign"
    ),
    AccessCase(
        "feedback:ticket-reply",
        WORK,
        method="POST",
        args=_own,
        data=_reply,
        setup=_tickets,
        label="own",
    ),
    AccessCase(
        "feedback:ticket-reply",
        WORK_FOREIGN,
        method="POST",
        args=_foreign,
        data=_reply,
        setup=_tickets,
        label="foreign",
    ),
    AccessCase(
        "feedback:ticket-status",
        WORK,
        method="POST",
        args=_own,
        data=_status,
        setup=_tickets,
        label="own",
    ),
    AccessCase(
        "feedback:ticket-status",
        WORK_FOREIGN,
        method="POST",
        args=_foreign,
        data=_status,
        setup=_tickets,
        label="foreign",
    ),
    AccessCase("feedback-public:form", PUBLIC, args=_form("own_customer"), label="own"),
    AccessCase(
        "feedback-public:form", PUBLIC, args=_form("foreign_customer"), label="foreign"
    ),
    # An empty message: the form answers (400) for everyone alike.
    AccessCase(
        "feedback-public:form",
        expect(400),
        method="POST",
        args=_form("own_customer"),
        data=lambda w: {"category": "complaint", "text": ""},
        label="own empty",
    ),
    AccessCase(
        "feedback-public:ticket",
        PUBLIC,
        args=_public_ticket("own_ticket"),
        setup=_tickets,
        label="own",
    ),
    AccessCase(
        "feedback-public:ticket",
        PUBLIC,
        args=_public_ticket("foreign_ticket"),
        setup=_tickets,
        label="foreign",
    ),
    # The mail provider's webhook needs GUANXI_INBOUND_MAIL_SECRET (unset
    # here): no such page for anyone; the signature checks are in
    # test_inbound_mail.
    AccessCase(
        "feedback-public:inbound-mail",
        expect(404),
        method="POST",
        data=lambda w: "From: a@example.com\r\n\r\nhi",
        content_type="message/rfc822",
    ),
]

JSON = "application/json"
API_READ = expect(200, anonymous=401, no_role=403)
API_READ_FOREIGN = expect(200, anonymous=401, no_role=403, account_manager=404)
API_WORK = expect(200, anonymous=401, no_role=403, operations=403, analyst=403)
API_WORK_FOREIGN = expect(
    200, anonymous=401, no_role=403, operations=403, analyst=403, account_manager=404
)

CASES += [
    AccessCase("api-feedback-ticket-list", API_READ, auth="token", setup=_tickets),
    AccessCase(
        "api-feedback-ticket-list",
        expect(201, anonymous=401, no_role=403, operations=403, analyst=403),
        method="POST",
        auth="token",
        data=lambda w: {
            "customer": w.own_customer.pk,
            "category": "question",
            "text": "怎么退货？",
        },
        content_type=JSON,
        label="create",
    ),
    AccessCase(
        "api-feedback-ticket-detail",
        API_READ,
        auth="token",
        args=_own,
        setup=_tickets,
        label="own",
    ),
    AccessCase(
        "api-feedback-ticket-detail",
        API_READ_FOREIGN,
        auth="token",
        args=_foreign,
        setup=_tickets,
        label="foreign",
    ),
    AccessCase(
        "api-feedback-ticket-reply",
        API_WORK,
        method="POST",
        auth="token",
        args=_own,
        data=_reply,
        content_type=JSON,
        setup=_tickets,
        label="own",
    ),
    AccessCase(
        "api-feedback-ticket-reply",
        API_WORK_FOREIGN,
        method="POST",
        auth="token",
        args=_foreign,
        data=_reply,
        content_type=JSON,
        setup=_tickets,
        label="foreign",
    ),
    AccessCase(
        "api-feedback-ticket-status",
        API_WORK,
        method="POST",
        auth="token",
        args=_own,
        data=_status,
        content_type=JSON,
        setup=_tickets,
        label="own",
    ),
    AccessCase(
        "api-feedback-ticket-status",
        API_WORK_FOREIGN,
        method="POST",
        auth="token",
        args=_foreign,
        data=_status,
        content_type=JSON,
        setup=_tickets,
        label="foreign",
    ),
]

# Attachments (issue 15): adding files is working the ticket; a file is given
# to roles that see contact data in full (it cannot be masked), in scope.


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


def _upload(world: World) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"files": [SimpleUploadedFile("a.png", _png(), content_type="image/png")]}


def _attached(world: World) -> None:
    import io

    from guanxi.feedback.services import attachments_add

    _tickets(world)
    for key in ("own_ticket", "foreign_ticket"):
        (world.extra[f"{key}_file"],) = attachments_add(
            actor=world.users["admin"],
            ticket_id=world.extra[key].pk,
            files=[(io.BytesIO(_png()), "a.png")],
        ).added


def _file_of(key: str) -> Any:
    def args(world: World) -> list[Any]:
        return [world.extra[key].pk, world.extra[f"{key}_file"].pk]

    return args


FILE_READ = expect(200, anonymous=302, no_role=403, operations=403, analyst=403)
FILE_READ_FOREIGN = expect(
    200, anonymous=302, no_role=403, operations=403, analyst=403, account_manager=404
)
API_ADD = expect(201, anonymous=401, no_role=403, operations=403, analyst=403)
API_ADD_FOREIGN = expect(
    201, anonymous=401, no_role=403, operations=403, analyst=403, account_manager=404
)

CASES += [
    AccessCase(
        "feedback:ticket-attachments",
        WORK,
        method="POST",
        args=_own,
        data=_upload,
        setup=_tickets,
        label="own",
    ),
    AccessCase(
        "feedback:ticket-attachments",
        WORK_FOREIGN,
        method="POST",
        args=_foreign,
        data=_upload,
        setup=_tickets,
        label="foreign",
    ),
    AccessCase(
        "feedback:attachment",
        FILE_READ,
        args=_file_of("own_ticket"),
        setup=_attached,
        label="own",
    ),
    AccessCase(
        "feedback:attachment",
        FILE_READ_FOREIGN,
        args=_file_of("foreign_ticket"),
        setup=_attached,
        label="foreign",
    ),
    AccessCase(
        "api-feedback-ticket-attachments",
        API_READ,
        auth="token",
        args=_own,
        setup=_attached,
        label="own",
    ),
    AccessCase(
        "api-feedback-ticket-attachments",
        API_READ_FOREIGN,
        auth="token",
        args=_foreign,
        setup=_attached,
        label="foreign",
    ),
    AccessCase(
        "api-feedback-ticket-attachments",
        API_ADD,
        method="POST",
        auth="token",
        args=_own,
        data=_upload,
        setup=_tickets,
        label="add own",
    ),
    AccessCase(
        "api-feedback-ticket-attachments",
        API_ADD_FOREIGN,
        method="POST",
        auth="token",
        args=_foreign,
        data=_upload,
        setup=_tickets,
        label="add foreign",
    ),
]


# The customer's own files on their ticket page (no login): the page's signed
# link is the key, for everyone alike; a staff file, or a wrong link, is
# missing as the page itself is for a wrong link.


def _customer_attached(world: World) -> None:
    import io

    from django.utils import timezone

    from guanxi.feedback.attaching import attachments_check, attachments_store
    from guanxi.feedback.files import files_guard
    from guanxi.feedback.services import attachments_add

    _tickets(world)
    for key in ("own_ticket", "foreign_ticket"):
        ticket = world.extra[key]
        with files_guard():
            (world.extra[f"{key}_sent"],) = attachments_store(
                ticket,
                attachments_check([(io.BytesIO(_png()), "a.png")]),
                source="public",
                now=timezone.now(),
            ).added
        (world.extra[f"{key}_staff"],) = attachments_add(
            actor=world.users["admin"],
            ticket_id=ticket.pk,
            files=[(io.BytesIO(_png() + b"staff"), "b.png")],
        ).added


def _sent_by_link(key: str, which: str = "sent", token: str = "") -> Any:
    def args(world: World) -> list[Any]:
        from guanxi.feedback.links import ticket_token

        ticket = world.extra[key]
        return [
            token or ticket_token(ticket_id=ticket.pk),
            world.extra[f"{key}_{which}"].pk,
        ]

    return args


CASES += [
    AccessCase(
        "feedback-public:attachment",
        PUBLIC,
        args=_sent_by_link("own_ticket"),
        setup=_customer_attached,
        label="own",
    ),
    AccessCase(
        "feedback-public:attachment",
        PUBLIC,
        args=_sent_by_link("foreign_ticket"),
        setup=_customer_attached,
        label="foreign",
    ),
    AccessCase(
        "feedback-public:attachment",
        expect(404),
        args=_sent_by_link("own_ticket", "staff"),
        setup=_customer_attached,
        label="staff file",
    ),
    AccessCase(
        "feedback-public:attachment",
        expect(404),
        args=_sent_by_link("own_ticket", token="eyJ0IjoxfQ:1x:bad"),
        setup=_customer_attached,
        label="wrong link",
    ),
]
