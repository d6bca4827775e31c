"""The SLA escalation: owners and leads warned before a clock breaks, the
customer's progress notice queued, broken clocks recorded (each step once)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import ValidationFailed
from guanxi.feedback.choices import OPEN_STATUSES, Category, Channel, EntryKind
from guanxi.feedback.links import ticket_url
from guanxi.feedback.models import Ticket
from guanxi.feedback.selectors import feedback_settings_current, sla_hours
from guanxi.feedback.thread import breaches_record, entry_add
from guanxi.feedback.words import progress_notice
from guanxi.messaging.choices import MessageChannel
from guanxi.messaging.services import service_message_queue, staff_mail_each

__all__ = ["ESCALATE_BATCH", "EscalationCount", "tickets_escalate"]

log = logging.getLogger(__name__)

#: Escalation: at most this many tickets per run (bounded work; the next
#: run goes on).
ESCALATE_BATCH = 500


@dataclass
class EscalationCount:
    owners: int = 0
    leads: int = 0
    notices: int = 0
    breaches: int = 0


def _leads() -> list[Any]:
    """Whom to warn after the owner: the lead set on the settings page, else
    every active admin."""
    lead = feedback_settings_current().lead
    if lead is not None and lead.is_active:
        return [lead]
    return [
        u
        for u in get_user_model()
        .objects.filter(is_active=True)
        .select_related("staff_profile")
        .order_by("pk")
        if policy_for(u).may_administer
    ]


def _notice_channel(ticket: Ticket) -> str:
    if ticket.channel in (Channel.PHONE, Channel.STORE, Channel.WECHAT):
        preferred = getattr(ticket.customer, "preferred_channel", "")
        if preferred == MessageChannel.SMS:
            return MessageChannel.SMS
    return MessageChannel.EMAIL


def _staff_mail(users: list[Any], ticket: Ticket, *, lead: bool) -> None:
    """Tell staff a ticket's clock is about to break (after the commit; the
    escalation is recorded whether or not e-mail is set up)."""

    def compose(user: Any) -> tuple[str, str]:
        subject = _("Ticket #%(id)d is about to break its SLA") % {"id": ticket.pk}
        text = _(
            "Ticket #%(id)d (%(category)s) must be answered by %(reply)s "
            "and solved by %(solve)s."
        ) % {
            "id": ticket.pk,
            "category": Category(ticket.category).label,
            "reply": timezone.localtime(ticket.first_reply_due).strftime(
                "%Y-%m-%d %H:%M"
            ),
            "solve": timezone.localtime(ticket.solve_due).strftime("%Y-%m-%d %H:%M"),
        }
        return subject, text

    role = "lead" if lead else "owner"
    staff_mail_each(
        users,
        key=lambda user: f"ticket-{ticket.pk}-{role}-{user.pk}",
        compose=compose,
        what="ticket escalation mail",
    )


def tickets_escalate(*, now: dt.datetime | None = None) -> EscalationCount:
    """Tickets whose clock is about to break: warn the owner (``warn_before``
    hours ahead), then the lead (half that ahead), and queue the customer a
    progress notice when the solve clock is about to break; record clocks
    broken. Each step once per ticket (its time recorded); safe to run twice."""
    moment = now or timezone.now()
    current = feedback_settings_current()
    ahead = dt.timedelta(hours=current.warn_before_hours)
    half = ahead / 2
    count = EscalationCount()
    reply_open = Q(first_reply_at__isnull=True)
    near = Q(solve_due__lte=moment + ahead) | (
        reply_open & Q(first_reply_due__lte=moment + ahead)
    )
    pending = (
        Q(owner_warned_at__isnull=True)
        | Q(lead_warned_at__isnull=True)
        | Q(notice_queued_at__isnull=True, solve_due__lte=moment + ahead)
        | Q(solve_breached_at__isnull=True, solve_due__lt=moment)
        | (
            reply_open
            & Q(first_reply_breached_at__isnull=True, first_reply_due__lt=moment)
        )
    )
    ids = list(
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .filter(near & pending)
        .order_by("solve_due", "pk")
        .values_list("pk", flat=True)[:ESCALATE_BATCH]
    )
    leads = _leads() if ids else []
    for pk in ids:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("customer", "owner")
                .get(pk=pk)
            )
            if ticket.status not in OPEN_STATUSES:
                continue
            due = ticket.solve_due
            if ticket.first_reply_at is None:
                due = min(due, ticket.first_reply_due)
            if ticket.owner_warned_at is None and due <= moment + ahead:
                ticket.owner_warned_at = moment
                entry_add(ticket, EntryKind.ESCALATION, now=moment, text="owner")
                owner = [ticket.owner] if ticket.owner is not None else []
                transaction.on_commit(
                    functools.partial(_staff_mail, owner, ticket, lead=False)
                )
                count.owners += 1
            if ticket.lead_warned_at is None and due <= moment + half:
                ticket.lead_warned_at = moment
                entry_add(ticket, EntryKind.ESCALATION, now=moment, text="lead")
                transaction.on_commit(
                    functools.partial(_staff_mail, leads, ticket, lead=True)
                )
                count.leads += 1
            if ticket.notice_queued_at is None and ticket.solve_due <= moment + ahead:
                ticket.notice_queued_at = moment
                count.notices += _notice(ticket, moment)
            count.breaches += len(breaches_record(ticket, moment))
            ticket.save()
    return count


def _notice(ticket: Ticket, moment: dt.datetime) -> int:
    """Queue the progress notice (seed 000 appendix 2: "我们会在[xx小时]内给您
    回复解决方案"); recorded on the thread whether or not it could be queued."""
    first_hours, _solve = sla_hours(category=ticket.category, priority=ticket.priority)
    channel = _notice_channel(ticket)
    language = getattr(ticket.customer, "language", "") or "zh-hans"
    text = progress_notice(
        hours=first_hours,
        language=language,
        link=ticket_url(ticket_id=ticket.pk),
        subject=channel == MessageChannel.EMAIL,
    )
    try:
        with transaction.atomic():
            queued = service_message_queue(
                customer_id=ticket.customer_id,
                channel=channel,
                template_text=text,
                cause=f"ticket:{ticket.pk}",
            ).queued
    except ValidationFailed as error:
        log.warning("ticket progress notice not queued: %s", error.message)
        queued = 0
    entry_add(
        ticket,
        EntryKind.NOTICE,
        now=moment,
        text=f"{channel}: {'queued' if queued else 'not queued'}",
    )
    return 1 if queued else 0
