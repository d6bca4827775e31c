"""Reads of feedback: tickets in the actor's scope, their thread, the clock
settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for, scope_for
from guanxi.core.errors import NotFound, PermissionDenied
from guanxi.feedback.choices import (
    CUSTOMER_ATTACHMENT_SOURCES,
    OPEN_STATUSES,
    HoursMode,
)
from guanxi.feedback.clock import BusinessCalendar, opening_parse
from guanxi.feedback.models import (
    Attachment,
    ClosingDay,
    FeedbackSettings,
    InboundMail,
    SlaRule,
    Ticket,
    TicketEntry,
)
from guanxi.feedback.triage import TRIAGE_EXPORT_FIELDS, inbound_triage_for_email

__all__ = [
    "DEFAULT_FIRST_REPLY_HOURS",
    "DEFAULT_SOLVE_HOURS",
    "TRIAGE_EXPORT_FIELDS",
    "TicketText",
    "attachment_get",
    "business_calendar",
    "closing_days",
    "customer_attachment_get",
    "customer_attachments",
    "feedback_settings_current",
    "inbound_triage",
    "inbound_triage_for_email",
    "sla_hours",
    "sla_rules",
    "ticket_attachments",
    "ticket_by_link",
    "ticket_entries",
    "ticket_get",
    "ticket_list",
    "ticket_scope",
    "ticket_text_rows",
    "ticket_texts",
]

#: The seed handbook (000, 3.4): reply within 24 hours, solve within 48.
DEFAULT_FIRST_REPLY_HOURS = 24
DEFAULT_SOLVE_HOURS = 48


def feedback_settings_current() -> FeedbackSettings:
    """The clock settings (the defaults when never saved)."""
    found = FeedbackSettings.objects.filter(pk=1).first()
    return found if found is not None else FeedbackSettings(pk=1)


def closing_days() -> QuerySet[ClosingDay]:
    return ClosingDay.objects.order_by("day")


def sla_rules() -> QuerySet[SlaRule]:
    return SlaRule.objects.order_by("category", "priority")


def business_calendar() -> BusinessCalendar:
    """The calendar the clocks count on, from the settings."""
    current = feedback_settings_current()
    return BusinessCalendar(
        business=current.hours_mode == HoursMode.BUSINESS,
        zone=ZoneInfo(settings.TIME_ZONE),
        opening=opening_parse(current.opening_hours or {}),
        closing_days=frozenset(closing_days().values_list("day", flat=True)),
        china=current.china_holidays,
    )


def sla_hours(*, category: str, priority: str) -> tuple[int, int]:
    """(first reply, solve) hours for a category and priority: the rule of
    that priority, else the category's rule for any priority, else 24/48."""
    rules = {
        r.priority: r
        for r in SlaRule.objects.filter(category=category, priority__in=[priority, ""])
    }
    rule = rules.get(priority) or rules.get("")
    if rule is None:
        return DEFAULT_FIRST_REPLY_HOURS, DEFAULT_SOLVE_HOURS
    return rule.first_reply_hours, rule.solve_hours


def ticket_scope(*, actor: Any) -> QuerySet[Ticket]:
    """Tickets whose customer is in ``actor``'s scope."""
    if not policy_for(actor).active:
        return Ticket.objects.none()
    return scope_for(actor).apply(Ticket.objects.all(), via="customer")


def ticket_list(
    *,
    actor: Any,
    status: str = "",
    category: str = "",
    owner_id: int | None = None,
    overdue: bool = False,
    now: dt.datetime | None = None,
) -> QuerySet[Ticket]:
    """Tickets in scope, newest first, filtered."""
    qs = ticket_scope(actor=actor).select_related("customer", "owner")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if overdue:
        moment = now or timezone.now()
        qs = qs.filter(status__in=OPEN_STATUSES).filter(
            Q(solve_due__lt=moment)
            | Q(first_reply_at__isnull=True, first_reply_due__lt=moment)
        )
    return qs.order_by("-opened_at", "-id")


def ticket_get(*, actor: Any, pk: Any) -> Ticket:
    """One ticket in scope; outside it answered as missing."""
    try:
        return (
            ticket_scope(actor=actor)
            .select_related("customer", "owner")
            .get(pk=int(pk))
        )
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("ticket not found")) from None


def ticket_by_link(*, ticket_id: int) -> Ticket | None:
    """The ticket a customer's signed link names (no actor: the signature is
    the authority)."""
    return Ticket.objects.filter(pk=ticket_id).first()


def ticket_entries(*, ticket: Ticket, public: bool = False) -> QuerySet[TicketEntry]:
    """The thread, oldest first; ``public``: what the customer sees (replies,
    their own words, status changes)."""
    qs = TicketEntry.objects.filter(ticket=ticket).select_related("author")
    if public:
        qs = qs.filter(kind__in=["reply", "customer", "status"])
    return qs.order_by("created_at", "id")


@dataclass(frozen=True)
class TicketText:
    """One text a customer wrote, decrypted: a ticket's own text
    (``entry_id`` None) or their words added on the thread."""

    ticket_id: int
    entry_id: int | None
    customer_id: int
    category: str
    at: dt.datetime
    text: str


def ticket_texts(
    *,
    actor: Any,
    since: dt.datetime | None = None,
    customer_ids: list[int] | None = None,
    batch: int = 1000,
) -> Iterator[TicketText]:
    """What customers wrote on tickets, decrypted, oldest first: each
    ticket's text, then the words they added on its thread (staff replies
    and notes are not theirs). The texts are encrypted at rest, so any
    search over them happens here, in Python, never in SQL. ``actor`` None:
    the system (a background job), every ticket; else the actor's scope.
    Read in batches of ``batch`` rows (bounded memory)."""
    tickets = Ticket.objects.all() if actor is None else ticket_scope(actor=actor)
    if customer_ids is not None:
        tickets = tickets.filter(customer_id__in=customer_ids)
    own = tickets.exclude(text__isnull=True)
    if since is not None:
        own = own.filter(opened_at__gte=since)
    for pk, customer, category, at, text in (
        own.order_by("opened_at", "pk")
        .values_list("pk", "customer_id", "category", "opened_at", "text")
        .iterator(chunk_size=batch)
    ):
        yield TicketText(pk, None, customer, category, at, text)
    said = TicketEntry.objects.filter(
        ticket__in=tickets.values("pk"), kind="customer", text__isnull=False
    )
    if since is not None:
        said = said.filter(created_at__gte=since)
    for pk, ticket, customer, category, at, text in (
        said.order_by("created_at", "pk")
        .values_list(
            "pk",
            "ticket_id",
            "ticket__customer_id",
            "ticket__category",
            "created_at",
            "text",
        )
        .iterator(chunk_size=batch)
    ):
        yield TicketText(ticket, pk, customer, category, at, text)


def inbound_triage(*, actor: Any) -> QuerySet[InboundMail]:
    """E-mails from unknown senders, newest first. Only for staff who work
    tickets over every customer (admins, service): the senders are nobody's
    customer yet, so an account manager's scope holds none of them."""
    policy = policy_for(actor)
    if not (policy.may_work_care_tasks and not policy.own_customers_only):
        raise PermissionDenied(_("Your role may not see the e-mail triage."))
    return InboundMail.objects.filter(outcome=InboundMail.Outcome.TRIAGE).order_by(
        "-received_at", "-id"
    )


def ticket_text_rows(
    *, since: dt.datetime | None = None, ids: list[int] | None = None
) -> Iterator[tuple[int, int, dt.datetime, str, int | None]]:
    """``(id, customer id, opened, text, interaction id)`` of every ticket
    (opened at ``since`` or later; or of ``ids``), unscoped, by id: for the
    needs list's mining and its example texts, never shown without the
    caller's masking. The one place other apps read ticket texts."""
    qs = Ticket.objects.order_by("id")
    if since is not None:
        qs = qs.filter(opened_at__gte=since)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    rows = qs.values_list("id", "customer_id", "opened_at", "text", "interaction_id")
    return rows.iterator(chunk_size=2000)


def ticket_attachments(*, ticket: Ticket) -> QuerySet[Attachment]:
    """A ticket's attachments, oldest first."""
    return Attachment.objects.filter(ticket=ticket).order_by("created_at", "id")


def attachment_get(*, actor: Any, ticket_id: Any, pk: Any) -> Attachment:
    """One attachment of a ticket in ``actor``'s scope (else missing, 404),
    for a role that sees contact data in full (else 403: a file cannot be
    masked, and analysts and operations read ticket texts masked)."""
    if not policy_for(actor).active:
        raise PermissionDenied(_("Your role may not see tickets."))
    ticket = ticket_get(actor=actor, pk=ticket_id)
    if not policy_for(actor).sees_contact_data:
        raise PermissionDenied(_("Your role may not open attachments."))
    try:
        return Attachment.objects.get(ticket=ticket, pk=int(pk))
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("attachment not found")) from None


def customer_attachments(*, ticket: Ticket) -> QuerySet[Attachment]:
    """The files the customer sent on their ticket (the public form, their
    e-mails), oldest first: what their ticket page shows. Staff files are
    internal: nothing records one being sent to the customer."""
    return ticket_attachments(ticket=ticket).filter(
        source__in=CUSTOMER_ATTACHMENT_SOURCES
    )


def customer_attachment_get(*, ticket_id: int, pk: Any) -> Attachment:
    """One file the customer sent on the ticket their signed link names (no
    actor: the signature is the authority); else missing (404)."""
    try:
        return (
            Attachment.objects.select_related("ticket")
            .filter(source__in=CUSTOMER_ATTACHMENT_SOURCES)
            .get(ticket_id=ticket_id, pk=int(pk))
        )
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("attachment not found")) from None
