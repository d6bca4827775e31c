"""The thread of a ticket and the checks every feedback write shares: input
parsed into a choice or a text, an entry appended, a status moved along the
allowed transitions, clocks that broke recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.feedback.choices import OPEN_STATUSES, TRANSITIONS, EntryKind, Status
from guanxi.feedback.models import MAX_TEXT, Ticket, TicketEntry
from guanxi.surveys.choices import Trigger
from guanxi.surveys.services import invite_after

__all__ = [
    "breaches_record",
    "choice_parse",
    "entry_add",
    "may_work",
    "text_parse",
    "ticket_move",
]


def may_work(actor: Any) -> None:
    if not policy_for(actor).may_work_care_tasks:
        raise PermissionDenied(_("Your role may not work tickets."))


def choice_parse(value: Any, choices: Any, message: str, field: str) -> str:
    text = "" if value is None else str(value).strip()
    if text not in choices.values:
        raise ValidationFailed(message, field=field)
    return text


def text_parse(value: Any, *, field: str = "text") -> str:
    text = "" if value is None else str(value)
    text = text.replace("\x00", "").strip()
    if not text:
        raise ValidationFailed(_("Write the text."), field=field)
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            _("The text is longer than %(n)d characters.") % {"n": MAX_TEXT},
            field=field,
        )
    return text


def entry_add(
    ticket: Ticket,
    kind: str,
    *,
    now: dt.datetime,
    author: Any = None,
    text: str = "",
    from_status: str = "",
    to_status: str = "",
) -> TicketEntry:
    return TicketEntry.objects.create(
        ticket=ticket,
        kind=kind,
        author=author if getattr(author, "pk", None) else None,
        text=text,
        from_status=from_status,
        to_status=to_status,
        created_at=now,
    )


def breaches_record(ticket: Ticket, now: dt.datetime) -> list[str]:
    """Record the clocks ``ticket`` broke by ``now`` (each once)."""
    broke: list[str] = []
    if (
        ticket.first_reply_at is None
        and ticket.first_reply_breached_at is None
        and ticket.first_reply_due < now
    ):
        ticket.first_reply_breached_at = now
        broke.append("first_reply")
    if (
        ticket.status in OPEN_STATUSES
        and ticket.solve_breached_at is None
        and ticket.solve_due < now
    ):
        ticket.solve_breached_at = now
        broke.append("solve")
    for clock in broke:
        entry_add(ticket, EntryKind.BREACH, now=now, text=clock)
    return broke


def ticket_move(
    ticket: Ticket, to: str, *, now: dt.datetime, author: Any, reason: str = ""
) -> None:
    if to not in TRANSITIONS.get(ticket.status, frozenset()):
        raise ValidationFailed(
            _("A ticket cannot go from “%(from)s” to “%(to)s”.")
            % {"from": Status(ticket.status).label, "to": Status(to).label},
            field="status",
        )
    breaches_record(ticket, now)
    old = ticket.status
    ticket.status = to
    if to == Status.SOLVED:
        ticket.solved_at = now
        if ticket.customer_id is not None:
            # The CSAT invitation, in the transaction that solves the ticket
            # (its message goes through the outbox); the survey cap keeps a
            # ticket solved twice from asking twice.
            invite_after(
                Trigger.TICKET_SOLVED, [ticket.customer_id], staff_id=ticket.owner_id
            )
    elif to == Status.IN_PROGRESS and old == Status.SOLVED:
        ticket.solved_at = None
    if to in (Status.CONFIRMED, Status.CLOSED_UNSOLVED):
        ticket.ended_at = now
    if to == Status.CLOSED_UNSOLVED:
        ticket.close_reason = reason
    entry_add(
        ticket,
        EntryKind.STATUS,
        now=now,
        author=author,
        text=reason,
        from_status=old,
        to_status=to,
    )
    ticket.save()
