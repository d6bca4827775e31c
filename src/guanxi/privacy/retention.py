"""Retention: each kind of personal data is kept for a set time and then
purged — by the nightly task or ``guanxi retention purge``.

Categories and their settings (``GUANXI_RETENTION_DAYS``; 0 keeps for ever):
interactions (by when they happened), tracking events (opens and clicks),
messages (settled ones, by when they were made), e-mails in the feedback
triage (from unknown senders, by when they came), audit entries (never fewer
than three years, here and in the database), and inactive customers (no
purchase, no interaction and not first seen since the limit), who are erased
through the same path as an erasure request. A dry run counts what would go;
every run is recorded (``RetentionRun``). Running it twice purges nothing
the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from guanxi.audit.selectors import AUDIT_RETENTION_YEARS
from guanxi.audit.services import AuditAction, audit_purge, record
from guanxi.customers.services import customers_inactive, interactions_purge
from guanxi.feedback.services import inbound_triage_purge
from guanxi.messaging.services import messages_purge, tracking_events_purge
from guanxi.privacy.choices import ErasureCause
from guanxi.privacy.erasure import customer_erase
from guanxi.privacy.models import Erasure, RetentionRun

__all__ = ["CATEGORIES", "RetentionReport", "retention_days", "retention_purge"]

#: The categories in the order a run purges them (customers last, so that
#: the other counts of a dry run and of the real run agree).
CATEGORIES = (
    "interactions",
    "tracking_events",
    "messages",
    "inbound_mail",
    "audit",
    "inactive_customers",
)
#: The audit log's floor in days (``audit_purge`` also holds to three
#: calendar years, leap days included).
AUDIT_FLOOR_DAYS = 365 * AUDIT_RETENTION_YEARS

_PURGES: dict[str, Callable[..., int]] = {
    "interactions": interactions_purge,
    "tracking_events": tracking_events_purge,
    "messages": messages_purge,
    "inbound_mail": inbound_triage_purge,
    "audit": audit_purge,
}


def retention_days() -> dict[str, int]:
    """Days each category is kept (0: for ever), the audit floor applied."""
    configured = dict(getattr(settings, "GUANXI_RETENTION_DAYS", {}))
    days = {c: max(0, int(configured.get(c, 0))) for c in CATEGORIES}
    if days["audit"]:
        days["audit"] = max(days["audit"], AUDIT_FLOOR_DAYS)
    return days


@dataclass(frozen=True)
class RetentionReport:
    dry_run: bool
    counts: dict[str, int]
    days: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        """The command line's ``--json`` object."""
        return {"dry_run": self.dry_run, "counts": self.counts, "days": self.days}


def _erase_inactive(*, before: dt.datetime, dry_run: bool) -> int:
    limit = int(getattr(settings, "GUANXI_RETENTION_CUSTOMERS_PER_RUN", 500))
    ids = customers_inactive(
        before=before,
        exclude=Erasure.objects.values("tombstone_id"),
        limit=limit,
    )
    if dry_run:
        return len(ids)
    for customer_id in ids:
        customer_erase(
            customer_id=customer_id,
            actor=None,
            via="retention",
            cause=ErasureCause.RETENTION,
        )
    return len(ids)


def retention_purge(
    *, dry_run: bool, actor: Any = None, now: dt.datetime | None = None
) -> RetentionReport:
    """Purge (or, on a dry run, count) what is past its retention; recorded."""
    now = now or timezone.now()
    days = retention_days()
    counts: dict[str, int] = {}
    for category in CATEGORIES:
        if not days[category]:
            counts[category] = 0
            continue
        before = now - dt.timedelta(days=days[category])
        if category == "inactive_customers":
            counts[category] = _erase_inactive(before=before, dry_run=dry_run)
        else:
            counts[category] = _PURGES[category](before=before, dry_run=dry_run)
    user = actor if getattr(actor, "pk", None) is not None else None
    RetentionRun.objects.create(dry_run=dry_run, counts=counts, started_by=user)
    if not dry_run and any(counts.values()):
        record(
            action=AuditAction.RETENTION_PURGED,
            actor=actor,
            object_type="retention",
            details={"rows": sum(counts.values()), "via": "retention"},
        )
    return RetentionReport(dry_run=dry_run, counts=counts, days=days)
