"""Writes of feedback: opening tickets (staff, API, the public form, logged
or imported complaints and reviews), their thread and status, the SLA
escalation, and the clock settings."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.access.policies import manager_scope_field, policy_for
from guanxi.access.selectors import staff_language, staff_round_robin
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.ratelimit import rate_limit_take
from guanxi.customers.choices import InteractionKind
from guanxi.customers.selectors import customer_rows, customer_scope, interaction_rows
from guanxi.feedback.choices import (
    OPEN_STATUSES,
    TRANSITIONS,
    Category,
    Channel,
    EntryKind,
    HoursMode,
    Priority,
    Source,
    Status,
)
from guanxi.feedback.clock import opening_parse
from guanxi.feedback.links import form_read, ticket_read, ticket_url
from guanxi.feedback.models import (
    MAX_TEXT,
    ClosingDay,
    FeedbackSettings,
    SlaRule,
    Ticket,
    TicketEntry,
)
from guanxi.feedback.selectors import (
    business_calendar,
    feedback_settings_current,
    sla_hours,
    ticket_get,
)
from guanxi.feedback.words import progress_notice
from guanxi.messaging.choices import MessageChannel
from guanxi.messaging.services import StaffMailer, service_message_queue
from guanxi.surveys.choices import Trigger
from guanxi.surveys.services import invite_after

#: The customer's account manager, read with an interaction (the scope rule's
#: field, named by access).
_MANAGER = manager_scope_field(via="customer")

__all__ = [
    "closing_day_add",
    "closing_day_remove",
    "feedback_settings_save",
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
#: Escalation: at most this many tickets per run (bounded work; the next
#: run goes on).
ESCALATE_BATCH = 500


def _may_work(actor: Any) -> None:
    if not policy_for(actor).may_work_care_tasks:
        raise PermissionDenied(_("Your role may not work tickets."))


def _choice(value: Any, choices: Any, message: str, field: str) -> str:
    text = "" if value is None else str(value).strip()
    if text not in choices.values:
        raise ValidationFailed(message, field=field)
    return text


def _text(value: Any, *, field: str = "text") -> str:
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


def _owners(managers: list[int | None]) -> list[tuple[int | None, bool]]:
    """An owner per new ticket: the customer's account manager, else the
    service team in turn (going on after the last ticket given by turn)."""
    team = staff_round_robin()
    last = (
        Ticket.objects.filter(round_robin=True)
        .order_by("-pk")
        .values_list("owner_id", flat=True)
        .first()
    )
    turn = team.index(last) + 1 if last in team else 0
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


def _entry(
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
    _may_work(actor)
    category_value = _choice(category, Category, _("Choose a category."), "category")
    channel_value = _choice(channel, Channel, _("Choose a channel."), "channel")
    priority_value = _choice(priority, Priority, _("Choose a priority."), "priority")
    body = _text(text)
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


def _breaches(ticket: Ticket, now: dt.datetime) -> list[str]:
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
        _entry(ticket, EntryKind.BREACH, now=now, text=clock)
    return broke


def _move(
    ticket: Ticket, to: str, *, now: dt.datetime, author: Any, reason: str = ""
) -> None:
    if to not in TRANSITIONS.get(ticket.status, frozenset()):
        raise ValidationFailed(
            _("A ticket cannot go from “%(from)s” to “%(to)s”.")
            % {"from": Status(ticket.status).label, "to": Status(to).label},
            field="status",
        )
    _breaches(ticket, now)
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
    _entry(
        ticket,
        EntryKind.STATUS,
        now=now,
        author=author,
        text=reason,
        from_status=old,
        to_status=to,
    )
    ticket.save()


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
    _may_work(actor)
    target = _choice(to, Status, _("Choose a status."), "status")
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
    _move(ticket, target, now=now or timezone.now(), author=actor, reason=text)
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
    _may_work(actor)
    body = _text(text)
    ticket = _locked(actor, ticket_id)
    if ticket.status in (Status.CONFIRMED, Status.CLOSED_UNSOLVED):
        raise ValidationFailed(_("This ticket is closed."))
    moment = now or timezone.now()
    if internal:
        return _entry(ticket, EntryKind.NOTE, now=moment, author=actor, text=body)
    entry = _entry(ticket, EntryKind.REPLY, now=moment, author=actor, text=body)
    if ticket.first_reply_at is None:
        _breaches(ticket, moment)
        ticket.first_reply_at = moment
        if ticket.status == Status.NEW:
            _move(ticket, Status.ACKNOWLEDGED, now=moment, author=actor)
        ticket.save()
    return entry


@transaction.atomic
def public_ticket_file(
    *,
    token: str,
    category: Any,
    text: Any,
    now: dt.datetime | None = None,
) -> Ticket:
    """A ticket filed by the customer on their signed form link (no login).
    At most ``PUBLIC_PER_HOUR`` an hour per customer."""
    customer_id = form_read(token)
    customer = customer_rows().filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        raise NotFound(_("This link is not valid."))
    category_value = _choice(category, Category, _("Choose a category."), "category")
    body = _text(text)
    if not rate_limit_take(
        scope="feedback-form",
        who=str(customer.pk),
        limit=PUBLIC_PER_HOUR,
        window_seconds=3600,
    ):
        raise ValidationFailed(
            _("Too many messages in an hour. Please try again later.")
        )
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
        now=now or timezone.now(),
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
    words = "" if text is None or not str(text).strip() else _text(text)
    if solved:
        if found.status != Status.SOLVED:
            raise ValidationFailed(_("This ticket is not marked solved."))
        if words:
            _entry(found, EntryKind.CUSTOMER, now=moment, text=words)
        _move(found, Status.CONFIRMED, now=moment, author=None)
        return found
    if found.status in (Status.CONFIRMED, Status.CLOSED_UNSOLVED):
        raise ValidationFailed(_("This ticket is closed."))
    if not words:
        raise ValidationFailed(_("Write the text."), field="text")
    _entry(found, EntryKind.CUSTOMER, now=moment, text=words)
    if found.status == Status.SOLVED:
        _move(found, Status.IN_PROGRESS, now=moment, author=None)
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


# -- escalation ------------------------------------------------------------


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
    if not StaffMailer.configured():
        return
    try:
        mailer = StaffMailer()
    except ValidationFailed:
        return
    try:
        for user in users:
            if not user.email:
                continue
            with translation.override(staff_language(user=user) or "zh-hans"):
                subject = _("Ticket #%(id)d is about to break its SLA") % {
                    "id": ticket.pk
                }
                text = _(
                    "Ticket #%(id)d (%(category)s) must be answered by %(reply)s "
                    "and solved by %(solve)s."
                ) % {
                    "id": ticket.pk,
                    "category": Category(ticket.category).label,
                    "reply": timezone.localtime(ticket.first_reply_due).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                    "solve": timezone.localtime(ticket.solve_due).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                }
            code = mailer.send(
                key=f"ticket-{ticket.pk}-{'lead' if lead else 'owner'}-{user.pk}",
                to=user.email,
                subject=subject,
                text=text,
                html="",
            )
            if code:
                log.warning("ticket escalation mail not sent: %s", code)
    finally:
        mailer.close()


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
                _entry(ticket, EntryKind.ESCALATION, now=moment, text="owner")
                owner = [ticket.owner] if ticket.owner is not None else []
                transaction.on_commit(
                    functools.partial(_staff_mail, owner, ticket, lead=False)
                )
                count.owners += 1
            if ticket.lead_warned_at is None and due <= moment + half:
                ticket.lead_warned_at = moment
                _entry(ticket, EntryKind.ESCALATION, now=moment, text="lead")
                transaction.on_commit(
                    functools.partial(_staff_mail, leads, ticket, lead=True)
                )
                count.leads += 1
            if ticket.notice_queued_at is None and ticket.solve_due <= moment + ahead:
                ticket.notice_queued_at = moment
                count.notices += _notice(ticket, moment)
            count.breaches += len(_breaches(ticket, moment))
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
    _entry(
        ticket,
        EntryKind.NOTICE,
        now=moment,
        text=f"{channel}: {'queued' if queued else 'not queued'}",
    )
    return 1 if queued else 0


# -- settings --------------------------------------------------------------


def _admin(actor: Any) -> None:
    if not policy_for(actor).may_administer:
        raise PermissionDenied(_("Only an admin may change the feedback settings."))


def _hours(value: Any, message: str, field: str) -> int:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValidationFailed(message, field=field) from None
    if not math.isfinite(number) or number != int(number) or not 1 <= number <= 2000:
        raise ValidationFailed(message, field=field)
    return int(number)


@transaction.atomic
def feedback_settings_save(
    *,
    actor: Any,
    hours_mode: Any,
    opening_hours: dict[str, tuple[str, str]],
    china_holidays: bool,
    warn_before_hours: Any,
    lead_id: Any = None,
) -> FeedbackSettings:
    """Save how the clocks count. ``opening_hours``: weekday ("0" Monday) →
    (open, close) as HH:MM, empty strings for a closed day."""
    _admin(actor)
    mode = _choice(
        hours_mode, HoursMode, _("Choose calendar or business hours."), "hours_mode"
    )
    raw: dict[str, list[str]] = {}
    for day, (start, end) in opening_hours.items():
        if not start and not end:
            continue
        parsed = opening_parse({day: [start, end]})
        if not parsed:
            raise ValidationFailed(
                _("Opening hours need a start before the end, as HH:MM."),
                field=f"open_{day}",
            )
        raw[day] = [start, end]
    if mode == HoursMode.BUSINESS and not raw:
        raise ValidationFailed(
            _("Business hours need opening hours on at least one day."),
            field="hours_mode",
        )
    warn = _hours(
        warn_before_hours,
        _("Escalate between 1 and 2000 hours before a clock breaks."),
        "warn_before_hours",
    )
    lead = None
    if lead_id not in (None, ""):
        lead = get_user_model().objects.filter(pk=lead_id, is_active=True).first()
        if lead is None:
            raise ValidationFailed(
                _("Choose an active user as the lead."), field="lead"
            )
    row, _created = FeedbackSettings.objects.select_for_update().get_or_create(pk=1)
    row.hours_mode = mode
    row.opening_hours = raw
    row.china_holidays = bool(china_holidays)
    row.warn_before_hours = warn
    row.lead = lead
    row.save()
    return row


@transaction.atomic
def sla_rule_save(
    *,
    actor: Any,
    category: Any,
    priority: Any,
    first_reply_hours: Any,
    solve_hours: Any,
) -> SlaRule:
    """Set the hours of a category (and priority, blank: any)."""
    _admin(actor)
    category_value = _choice(category, Category, _("Choose a category."), "category")
    priority_text = "" if priority is None else str(priority).strip()
    if priority_text and priority_text not in Priority.values:
        raise ValidationFailed(_("Choose a priority."), field="priority")
    first = _hours(
        first_reply_hours,
        _("Hours must be a whole number from 1 to 2000."),
        "first_reply_hours",
    )
    solve = _hours(
        solve_hours, _("Hours must be a whole number from 1 to 2000."), "solve_hours"
    )
    if solve < first:
        raise ValidationFailed(
            _("The solve time cannot be shorter than the first reply time."),
            field="solve_hours",
        )
    rule, _created = SlaRule.objects.update_or_create(
        category=category_value,
        priority=priority_text,
        defaults={"first_reply_hours": first, "solve_hours": solve},
    )
    return rule


@transaction.atomic
def closing_day_add(*, actor: Any, day: Any, note: Any = "") -> ClosingDay:
    _admin(actor)
    try:
        value = dt.date.fromisoformat(str(day).strip())
    except ValueError:
        raise ValidationFailed(_("Give the day as YYYY-MM-DD."), field="day") from None
    text = ("" if note is None else str(note).strip())[:100]
    found, _created = ClosingDay.objects.update_or_create(
        day=value, defaults={"note": text}
    )
    return found


@transaction.atomic
def closing_day_remove(*, actor: Any, pk: Any) -> None:
    _admin(actor)
    deleted, _rows = ClosingDay.objects.filter(pk=pk).delete()
    if not deleted:
        raise NotFound(_("closing day not found"))
