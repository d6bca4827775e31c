"""Writes of feedback: opening tickets (staff, API, the public form, logged
or imported complaints and reviews), their thread and status. The face of
the app's writes: the escalation (:mod:`~guanxi.feedback.escalation`) and
the clock settings (:mod:`~guanxi.feedback.sla_settings`) are re-exported
here."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import manager_scope_field
from guanxi.access.selectors import staff_turn_next
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.ratelimit import rate_limit_take
from guanxi.customers.choices import InteractionKind
from guanxi.customers.selectors import (
    customer_by_email,
    customer_rows,
    customer_scope,
    interaction_rows,
)
from guanxi.feedback.attaching import (
    AttachResult,
    Upload,
    attachment_download,
    attachment_download_by_link,
    attachment_files_export,
    attachment_files_reencrypt,
    attachment_orphans_sweep,
    attachments_add,
    attachments_check,
    attachments_erase,
    attachments_from_mail,
    attachments_store,
)
from guanxi.feedback.choices import (
    AttachmentSource,
    Category,
    Channel,
    EntryKind,
    Priority,
    Source,
    Status,
)
from guanxi.feedback.escalation import EscalationCount, tickets_escalate
from guanxi.feedback.files import files_guard
from guanxi.feedback.links import form_read, ticket_read
from guanxi.feedback.mail import ParsedMail
from guanxi.feedback.models import MAX_TEXT, InboundMail, Ticket, TicketEntry
from guanxi.feedback.selectors import business_calendar, sla_hours, ticket_get
from guanxi.feedback.sla_settings import (
    closing_day_add,
    closing_day_remove,
    feedback_settings_save,
    sla_rule_save,
)
from guanxi.feedback.thread import (
    breaches_record,
    choice_parse,
    entry_add,
    may_work,
    text_parse,
    ticket_move,
)
from guanxi.feedback.triage import inbound_triage_delete, inbound_triage_purge

#: The customer's account manager, read with an interaction (the scope rule's
#: field, named by access).
_MANAGER = manager_scope_field(via="customer")

__all__ = [
    "AttachResult",
    "EscalationCount",
    "attachment_download",
    "attachment_download_by_link",
    "attachment_files_export",
    "attachment_files_reencrypt",
    "attachment_orphans_sweep",
    "attachments_add",
    "attachments_erase",
    "closing_day_add",
    "closing_day_remove",
    "feedback_settings_save",
    "inbound_mail_receive",
    "inbound_triage_delete",
    "inbound_triage_purge",
    "public_ticket_answer",
    "public_ticket_file",
    "sla_rule_save",
    "ticket_open",
    "ticket_reply",
    "ticket_transition",
    "tickets_after_interactions",
    "tickets_escalate",
]

log = logging.getLogger(__name__)

#: Interactions that open a ticket, and the category they open.
INTERACTION_CATEGORY = {
    InteractionKind.COMPLAINT.value: Category.COMPLAINT,
    InteractionKind.REVIEW.value: Category.SUGGESTION,
}
#: Public form: at most this many tickets per customer link and hour.
PUBLIC_PER_HOUR = 5


def _owners(managers: list[int | None]) -> list[tuple[int | None, bool]]:
    """An owner per new ticket: the customer's account manager, else the
    service team in turn (going on after the last ticket given by turn)."""
    last = (
        Ticket.objects.filter(round_robin=True)
        .order_by("-pk")
        .values_list("owner_id", flat=True)
        .first()
    )
    team, turn = staff_turn_next(last_owner_id=last)
    out: list[tuple[int | None, bool]] = []
    for manager in managers:
        if manager is not None:
            out.append((manager, False))
        elif team:
            out.append((team[turn % len(team)], True))
            turn += 1
        else:
            out.append((None, False))
    return out


def _tickets_create(
    rows: list[dict[str, Any]], *, now: dt.datetime, created_by: Any = None
) -> list[Ticket]:
    """Write tickets (each ``rows`` item: customer_id, manager_id, category,
    channel, priority, text, source, interaction_id) with owner and clocks:
    the rules and the calendar read once, the tickets written in bulk in the
    order given (the round-robin goes on after the last one)."""
    owners = _owners([r["manager_id"] for r in rows])
    calendar = business_calendar()
    hours: dict[tuple[str, str], tuple[int, int]] = {}
    tickets = []
    for row, (owner_id, by_turn) in zip(rows, owners, strict=True):
        start = row.get("opened_at") or now
        key = (row["category"], row["priority"])
        if key not in hours:
            hours[key] = sla_hours(category=key[0], priority=key[1])
        first, solve = hours[key]
        tickets.append(
            Ticket(
                customer_id=row["customer_id"],
                category=row["category"],
                channel=row["channel"],
                priority=row["priority"],
                text=row["text"],
                source=row["source"],
                interaction_id=row.get("interaction_id"),
                owner_id=owner_id,
                round_robin=by_turn,
                created_by=created_by if getattr(created_by, "pk", None) else None,
                opened_at=start,
                first_reply_due=calendar.add_hours(start, first),
                solve_due=calendar.add_hours(start, solve),
            )
        )
    return Ticket.objects.bulk_create(tickets, batch_size=1000)


@transaction.atomic
def ticket_open(
    *,
    actor: Any,
    customer_id: Any,
    category: Any,
    text: Any,
    channel: Any = Channel.PHONE,
    priority: Any = Priority.NORMAL,
    source: str = Source.STAFF,
    now: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket for a customer in ``actor``'s scope (a staff form or the
    API). Bad input changes nothing."""
    may_work(actor)
    category_value = choice_parse(
        category, Category, _("Choose a category."), "category"
    )
    channel_value = choice_parse(channel, Channel, _("Choose a channel."), "channel")
    priority_value = choice_parse(
        priority, Priority, _("Choose a priority."), "priority"
    )
    body = text_parse(text)
    try:
        customer = customer_scope(actor=actor).get(pk=int(customer_id))
    except (ValueError, TypeError, customer_rows().model.DoesNotExist):
        raise NotFound(_("customer not found")) from None
    (ticket,) = _tickets_create(
        [
            {
                "customer_id": customer.pk,
                "manager_id": customer.assigned_manager_id,
                "category": category_value,
                "channel": channel_value,
                "priority": priority_value,
                "text": body,
                "source": source,
            }
        ],
        now=now or timezone.now(),
        created_by=actor,
    )
    return ticket


def _locked(actor: Any, ticket_id: Any) -> Ticket:
    ticket = ticket_get(actor=actor, pk=ticket_id)
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


@transaction.atomic
def ticket_transition(
    *,
    actor: Any,
    ticket_id: Any,
    to: Any,
    reason: Any = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """Move a ticket to ``to`` (a legal next status; closing unsolved needs a
    reason). Illegal moves are refused and change nothing."""
    may_work(actor)
    target = choice_parse(to, Status, _("Choose a status."), "status")
    ticket = _locked(actor, ticket_id)
    text = "" if reason is None else str(reason).strip()
    if target == Status.CLOSED_UNSOLVED and not text:
        raise ValidationFailed(
            _("Say why the ticket is closed without a solution."), field="reason"
        )
    if len(text) > 500:
        raise ValidationFailed(
            _("The reason is longer than %(n)d characters.") % {"n": 500},
            field="reason",
        )
    ticket_move(ticket, target, now=now or timezone.now(), author=actor, reason=text)
    return ticket


@transaction.atomic
def ticket_reply(
    *,
    actor: Any,
    ticket_id: Any,
    text: Any,
    internal: bool = False,
    now: dt.datetime | None = None,
) -> TicketEntry:
    """A reply to the customer (the first one stops the first-reply clock and
    acknowledges a new ticket) or an internal note."""
    may_work(actor)
    body = text_parse(text)
    ticket = _locked(actor, ticket_id)
    if ticket.status in (Status.CONFIRMED, Status.CLOSED_UNSOLVED):
        raise ValidationFailed(_("This ticket is closed."))
    moment = now or timezone.now()
    if internal:
        return entry_add(ticket, EntryKind.NOTE, now=moment, author=actor, text=body)
    entry = entry_add(ticket, EntryKind.REPLY, now=moment, author=actor, text=body)
    if ticket.first_reply_at is None:
        breaches_record(ticket, moment)
        ticket.first_reply_at = moment
        if ticket.status == Status.NEW:
            ticket_move(ticket, Status.ACKNOWLEDGED, now=moment, author=actor)
        ticket.save()
    return entry


def public_ticket_file(
    *,
    token: str,
    category: Any,
    text: Any,
    files: Upload = (),
    now: dt.datetime | None = None,
) -> Ticket:
    """A ticket filed by the customer on their signed form link (no login),
    with the files they chose (checked as staff uploads are). At most
    ``PUBLIC_PER_HOUR`` an hour per customer. One transaction; bad input
    changes nothing and leaves no file."""
    customer_id = form_read(token)
    customer = customer_rows().filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        raise NotFound(_("This link is not valid."))
    category_value = choice_parse(
        category, Category, _("Choose a category."), "category"
    )
    body = text_parse(text)
    uploads = list(files)
    checked = attachments_check(uploads) if uploads else []
    with files_guard():
        if not rate_limit_take(
            scope="feedback-form",
            who=str(customer.pk),
            limit=PUBLIC_PER_HOUR,
            window_seconds=3600,
        ):
            raise ValidationFailed(
                _("Too many messages in an hour. Please try again later.")
            )
        moment = now or timezone.now()
        (ticket,) = _tickets_create(
            [
                {
                    "customer_id": customer.pk,
                    "manager_id": customer.assigned_manager_id,
                    "category": category_value,
                    "channel": Channel.WEB,
                    "priority": Priority.NORMAL,
                    "text": body,
                    "source": Source.PUBLIC,
                }
            ],
            now=moment,
        )
        if checked:
            attachments_store(
                ticket, checked, source=AttachmentSource.PUBLIC, now=moment
            )
    return ticket


@transaction.atomic
def public_ticket_answer(
    *, token: str, solved: bool, text: Any = "", now: dt.datetime | None = None
) -> Ticket:
    """The customer, on their ticket's signed page, confirms a solved ticket
    (``solved``) or says it is not solved (back to in progress, with their
    words); or adds words to an open ticket."""
    ticket_id = ticket_read(token)
    found = (
        Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket_id is not None
        else None
    )
    if found is None:
        raise NotFound(_("This link is not valid."))
    moment = now or timezone.now()
    words = "" if text is None or not str(text).strip() else text_parse(text)
    if solved:
        if found.status != Status.SOLVED:
            raise ValidationFailed(_("This ticket is not marked solved."))
        if words:
            entry_add(found, EntryKind.CUSTOMER, now=moment, text=words)
        ticket_move(found, Status.CONFIRMED, now=moment, author=None)
        return found
    if found.status in (Status.CONFIRMED, Status.CLOSED_UNSOLVED):
        raise ValidationFailed(_("This ticket is closed."))
    if not words:
        raise ValidationFailed(_("Write the text."), field="text")
    entry_add(found, EntryKind.CUSTOMER, now=moment, text=words)
    if found.status == Status.SOLVED:
        ticket_move(found, Status.IN_PROGRESS, now=moment, author=None)
    return found


def tickets_from_interactions(*, customer_ids: Iterable[int]) -> int:
    """Open a ticket for every complaint or review of these customers that
    has none yet (set-based: one read, one bulk write). How many opened."""
    ids = sorted(set(customer_ids))
    if not ids:
        return 0
    opened = 0
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        rows = list(
            interaction_rows()
            .filter(customer_id__in=chunk, kind__in=list(INTERACTION_CATEGORY))
            .exclude(
                pk__in=Ticket.objects.filter(
                    customer_id__in=chunk, interaction_id__isnull=False
                ).values("interaction_id")
            )
            .order_by("occurred_at", "pk")
            .values(
                "pk",
                "customer_id",
                "kind",
                "note",
                "occurred_at",
                _MANAGER,
            )
        )
        if not rows:
            continue
        with transaction.atomic():
            _tickets_create(
                [
                    {
                        "customer_id": r["customer_id"],
                        "manager_id": r[_MANAGER],
                        "category": INTERACTION_CATEGORY[r["kind"]],
                        "channel": Channel.IMPORT,
                        "priority": Priority.NORMAL,
                        "text": (r["note"] or str(InteractionKind(r["kind"]).label))[
                            :MAX_TEXT
                        ],
                        "source": Source.INTERACTION,
                        "interaction_id": r["pk"],
                        "opened_at": r["occurred_at"],
                    }
                    for r in rows
                ],
                now=timezone.now(),
            )
        opened += len(rows)
    return opened


def tickets_after_interactions(
    sender: Any, *, customer_ids: Any, kinds: Any = (), **kwargs: Any
) -> None:
    """Receiver of ``customers.services.interactions_written``."""
    if not set(INTERACTION_CATEGORY).intersection(kinds):
        return
    opened = tickets_from_interactions(customer_ids=customer_ids)
    log.info("tickets from interactions: %d opened", opened)


def inbound_mail_receive(
    *, mail: ParsedMail, now: dt.datetime | None = None
) -> InboundMail:
    """See :func:`_inbound_mail_receive`; one transaction, and the files of
    its attachments removed again if it rolls back."""
    with files_guard():
        return _inbound_mail_receive(mail=mail, now=now)


def _inbound_mail_receive(
    *, mail: ParsedMail, now: dt.datetime | None = None
) -> InboundMail:
    """An e-mail to the feedback address. From the one customer with that
    address (blind index): added to their ticket when the subject names it
    (``[#id]``) and it is still open, else a new ticket (category question,
    channel e-mail). From anyone else: kept in triage, no customer created.
    The same message (Message-ID) twice does nothing the second time. Its
    attachments of an allowed type go on the ticket (on the thread's line
    when added to one); the others are noted on it, never kept; a message
    in triage keeps none."""
    moment = now or timezone.now()
    try:
        with transaction.atomic():
            row = InboundMail.objects.create(
                message_key=mail.message_key,
                received_at=moment,
                outcome=InboundMail.Outcome.TRIAGE,
            )
    except IntegrityError:
        return InboundMail.objects.get(message_key=mail.message_key)
    customer = customer_by_email(email=mail.sender)
    body = mail.text or mail.subject
    if customer is None or not body:
        row.sender, row.subject, row.text = mail.sender, mail.subject, mail.text
        row.save()
        return row
    body = body[:MAX_TEXT]
    ticket = (
        Ticket.objects.select_for_update()
        .filter(pk=mail.ticket_ref, customer_id=customer.pk)
        .exclude(status__in=(Status.CONFIRMED, Status.CLOSED_UNSOLVED))
        .first()
        if mail.ticket_ref is not None
        else None
    )
    entry = None
    if ticket is not None:
        entry = entry_add(ticket, EntryKind.CUSTOMER, now=moment, text=body)
        if ticket.status == Status.SOLVED:
            ticket_move(ticket, Status.IN_PROGRESS, now=moment, author=None)
        row.outcome = InboundMail.Outcome.APPENDED
    else:
        (ticket,) = _tickets_create(
            [
                {
                    "customer_id": customer.pk,
                    "manager_id": customer.assigned_manager_id,
                    "category": Category.QUESTION,
                    "channel": Channel.EMAIL,
                    "priority": Priority.NORMAL,
                    "text": body,
                    "source": Source.EMAIL,
                }
            ],
            now=moment,
        )
        row.outcome = InboundMail.Outcome.OPENED
    if mail.attachments:
        attachments_from_mail(ticket, list(mail.attachments), entry=entry, now=moment)
    row.ticket = ticket
    row.save()
    return row
