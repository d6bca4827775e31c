"""Reads of the audit log: the admins' search, and what retention may remove.

The search filters by person, customer, action and a range of local days;
each filter meets an index that starts with it and ends with (at, id), so a
page of 50 newest events is found without reading the others, whatever the
log's size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.audit.choices import AuditAction
from guanxi.audit.models import AuditEvent
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.values import parse_id

__all__ = [
    "AUDIT_RETENTION_YEARS",
    "SEARCH_FIELDS",
    "AuditSearch",
    "audit_event_list",
    "audit_events_past_retention",
    "audit_read_check",
    "audit_retention_cutoff",
    "audit_search_parse",
    "customer_audit_events",
]

#: Audit entries are kept at least this long (issue 13: at least 3 years);
#: the retention job may remove what is older, never anything younger.
AUDIT_RETENTION_YEARS = 3
#: The search form's fields, in the order the page shows them.
SEARCH_FIELDS = ("person", "customer", "action", "date_from", "date_to")


@dataclass(frozen=True, kw_only=True)
class AuditSearch:
    """A parsed search: every field optional (None: not filtered)."""

    person: str = ""
    actor_ids: tuple[int, ...] | None = None
    customer_id: int | None = None
    action: AuditAction | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _day(value: str, message: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(message) from None


def audit_search_parse(query: Mapping[str, Any]) -> AuditSearch:
    """The search of ``query`` (the page's GET parameters), or a
    ValidationFailed with the first thing wrong in it."""

    def text(name: str) -> str:
        return str(query.get(name) or "").strip()

    person = text("person")
    actor_ids: tuple[int, ...] | None = None
    if person:
        actor_ids = tuple(
            get_user_model()
            .objects.filter(username__iexact=person)
            .values_list("pk", flat=True)
        )
        if not actor_ids:
            raise ValidationFailed(
                _("Nobody on the team has the username %(value)r.")
                % {"value": person[:150]},
                field="person",
            )
    customer_id = None
    if text("customer"):
        customer_id = parse_id(text("customer"))
        if customer_id is None:
            raise ValidationFailed(
                _("The customer number is a whole number."), field="customer"
            )
    action = None
    if text("action"):
        if text("action") not in AuditAction.values:
            raise ValidationFailed(
                _("Unknown action: %(value)r.") % {"value": text("action")[:64]},
                field="action",
            )
        action = AuditAction(text("action"))
    date_from = _day(
        text("date_from"), _("The start date is not a date (e.g. 2026-12-05).")
    )
    date_to = _day(text("date_to"), _("The end date is not a date (e.g. 2026-12-05)."))
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed(_("The start date is after the end date."))
    return AuditSearch(
        person=person,
        actor_ids=actor_ids,
        customer_id=customer_id,
        action=action,
        date_from=date_from,
        date_to=date_to,
    )


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), timezone.get_current_timezone())


def audit_event_list(*, actor: Any, search: AuditSearch) -> QuerySet[AuditEvent]:
    """The events ``search`` matches (admins only), newest first."""
    audit_read_check(actor)
    events = AuditEvent.objects.all()
    if search.actor_ids is not None:
        events = events.filter(actor_id__in=search.actor_ids)
    if search.customer_id is not None:
        events = events.filter(customer_id=search.customer_id)
    if search.action is not None:
        events = events.filter(action=search.action)
    if search.date_from is not None:
        events = events.filter(at__gte=_day_start(search.date_from))
    if search.date_to is not None:
        events = events.filter(at__lt=_day_start(search.date_to + dt.timedelta(1)))
    return events.order_by("-at", "-id")


def audit_retention_cutoff(*, now: dt.datetime | None = None) -> dt.datetime:
    """The moment ``AUDIT_RETENTION_YEARS`` calendar years before ``now``
    (29 February falls back to the 28th)."""
    now = now or timezone.now()
    year = now.year - AUDIT_RETENTION_YEARS
    try:
        return now.replace(year=year)
    except ValueError:
        return now.replace(year=year, day=28)


def audit_events_past_retention(
    *, now: dt.datetime | None = None
) -> QuerySet[AuditEvent]:
    """The events older than the retention, oldest first: what a retention
    job may remove (none does yet; the log refuses deletes today)."""
    return AuditEvent.objects.filter(at__lt=audit_retention_cutoff(now=now)).order_by(
        "at", "id"
    )


#: Details of an event that are about colleagues, not the customer.
_STAFF_DETAILS = frozenset({"manager_id", "from_role", "to_role"})


def customer_audit_events(*, customer_id: int) -> list[dict[str, Any]]:
    """The events about one customer for their data-subject export: when, what,
    on which object, the details (counts and codes) — not who among the staff
    did it (the staff's own data, not the customer's)."""
    rows = (
        AuditEvent.objects.filter(customer_id=customer_id)
        .order_by("at", "id")
        .values("at", "action", "object_type", "object_id", "details")
    )
    return [
        {
            **row,
            "details": {
                k: v for k, v in row["details"].items() if k not in _STAFF_DETAILS
            },
        }
        for row in rows
    ]


def audit_read_check(actor: Any) -> None:
    """Reading the log is the administrators' (the owner's, the CRM admin's)."""
    if not policy_for(actor).may_administer:
        raise PermissionDenied(_("Only administrators may read the audit log."))
