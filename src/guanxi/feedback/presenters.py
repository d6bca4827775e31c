"""How a ticket looks to each role: the customer by number and name, or by
pseudonym; free text with phone numbers and e-mail addresses masked for roles
that may not see contact data, and the customer's name too for roles that see
no personal data."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from guanxi.access.policies import Policy
from guanxi.customers.presenters import customer_ref
from guanxi.feedback.choices import (
    OPEN_STATUSES,
    AttachmentSource,
    Category,
    EntryKind,
    Status,
)
from guanxi.feedback.masking import text_masked
from guanxi.feedback.models import Attachment, Ticket, TicketEntry

__all__ = [
    "attachment_rows",
    "customer_attachment_rows",
    "entry_row",
    "file_size",
    "ticket_row",
    "ticket_text",
]

EXCERPT = 120


def _names(customer: Any) -> tuple[str, ...]:
    name = (getattr(customer, "name", "") or "").strip()
    if not name:
        return ()
    return (name, *(part for part in name.split() if part != name))


def ticket_text(text: str, *, customer: Any, policy: Policy) -> str:
    """Free text as ``policy`` may read it."""
    if policy.sees_contact_data:
        return text
    names = () if policy.sees_personal_data else _names(customer)
    return text_masked(text, names=names)


def _moment(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def ticket_row(ticket: Ticket, *, policy: Policy, now: Any = None) -> dict[str, Any]:
    """What the inbox and the ticket page show of a ticket."""
    moment = now or timezone.now()
    customer = ticket.customer
    text = ticket_text(ticket.text, customer=customer, policy=policy)
    reply_open = ticket.first_reply_at is None and ticket.status in OPEN_STATUSES
    open_ = ticket.status in OPEN_STATUSES
    return {
        "pk": ticket.pk,
        "url": reverse("feedback:ticket", args=[ticket.pk]),
        "customer": customer_ref(ticket.customer_id, policy=policy),
        "customer_name": (customer.name or "") if policy.sees_personal_data else "",
        "customer_url": (
            reverse("customers:customer-detail", args=[ticket.customer_id])
            if policy.knows_customer_numbers
            else None
        ),
        "category": Category(ticket.category).label,
        "category_value": ticket.category,
        "status": Status(ticket.status).label,
        "status_value": ticket.status,
        "priority": ticket.get_priority_display(),
        "channel": ticket.get_channel_display(),
        "owner": ticket.owner.get_username() if ticket.owner else "—",
        "opened": _moment(ticket.opened_at),
        "first_reply_due": _moment(ticket.first_reply_due),
        "solve_due": _moment(ticket.solve_due),
        "first_reply_at": _moment(ticket.first_reply_at),
        "solved_at": _moment(ticket.solved_at),
        "reply_overdue": reply_open and ticket.first_reply_due < moment,
        "solve_overdue": open_ and ticket.solve_due < moment,
        "overdue": (reply_open and ticket.first_reply_due < moment)
        or (open_ and ticket.solve_due < moment),
        "breached": bool(ticket.first_reply_breached_at or ticket.solve_breached_at),
        "text": text,
        "excerpt": text if len(text) <= EXCERPT else text[:EXCERPT] + "…",
        "close_reason": ticket.close_reason,
        "open": open_,
    }


def entry_row(entry: TicketEntry, *, customer: Any, policy: Policy) -> dict[str, Any]:
    text = entry.text
    if entry.kind in (
        EntryKind.REPLY,
        EntryKind.NOTE,
        EntryKind.CUSTOMER,
        EntryKind.STATUS,
    ):
        text = ticket_text(text, customer=customer, policy=policy)
    return {
        "kind": entry.kind,
        "kind_label": entry.get_kind_display(),
        "author": entry.author.get_username() if entry.author else "",
        "text": text,
        "from_status": Status(entry.from_status).label if entry.from_status else "",
        "to_status": Status(entry.to_status).label if entry.to_status else "",
        "at": _moment(entry.created_at),
    }


#: How an attachment's type is named on screen.
TYPE_LABELS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "application/pdf": "PDF",
    "text/plain": "TXT",
}


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def attachment_rows(
    attachments: list[Attachment], *, ticket: Ticket, policy: Policy
) -> list[dict[str, Any]]:
    """What a role sees of a ticket's files: those who see contact data in
    full get the names, links and image thumbnails; the others a numbered
    list of types and sizes (a file cannot be masked, and its name can hold
    a person's)."""
    full = policy.sees_contact_data
    rows = []
    for number, a in enumerate(attachments, 1):
        url = reverse("feedback:attachment", args=[ticket.pk, a.pk]) if full else ""
        rows.append(
            {
                "number": number,
                "name": a.name if full else "",
                "type": TYPE_LABELS.get(a.content_type, a.content_type),
                "size": file_size(a.size),
                "url": url,
                "thumb": f"{url}?inline=1"
                if full and a.content_type.startswith("image/")
                else "",
                "source": AttachmentSource(a.source).label,
                "at": _moment(a.created_at),
            }
        )
    return rows


def customer_attachment_rows(
    attachments: list[Attachment], *, token: str
) -> list[dict[str, Any]]:
    """The files a customer sent, on their own ticket page: name, type, size
    and a download through the page's own signed link."""
    return [
        {
            "name": a.name,
            "type": TYPE_LABELS.get(a.content_type, a.content_type),
            "size": file_size(a.size),
            "url": reverse("feedback-public:attachment", args=[token, a.pk]),
            "at": _moment(a.created_at),
        }
        for a in attachments
    ]
