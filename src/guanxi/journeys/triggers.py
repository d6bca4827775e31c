"""Who a journey's trigger picks on a day, as a queryset of customers (run
set-based by :func:`guanxi.journeys.engine.enrol`), with the occurrence key
a re-entering journey enters under.

Event triggers are also read here for a whole day (a run catches what the
signals did not see: a stage change of a scoring run, a warning opened, a
task closed, customers created by any path), counting only from when the
journey was switched on, so switching one on never enrols the history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from guanxi.care.selectors import task_scope, warning_scope
from guanxi.customers.selectors import customer_rows
from guanxi.insights.choices import RunStatus
from guanxi.insights.selectors import (
    latest_as_of,
    run_list,
    snapshot_rows,
    stage_change_scope,
)
from guanxi.journeys.choices import TriggerDate, TriggerEvent
from guanxi.journeys.engine import day_start, period_key
from guanxi.journeys.models import Journey
from guanxi.segments.selectors import everyone_actor, segment_get, segment_members

__all__ = ["trigger_candidates"]


def _window(journey: Journey, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The day, from when the journey was switched on."""
    start, end = day_start(day), day_start(day + dt.timedelta(days=1))
    if journey.enabled_at is not None and journey.enabled_at > start:
        start = journey.enabled_at
    return start, end


def _ids_in(rows: QuerySet[Any], column: str = "customer_id") -> QuerySet[Any]:
    return customer_rows().filter(pk__in=rows.values(column))


def _date(trigger: dict[str, Any], day: dt.date) -> tuple[QuerySet[Any], str]:
    customers = customer_rows()
    field = trigger["field"]
    if field == TriggerDate.BIRTHDAY:
        return customers.filter(birth_month=day.month), f"{day.year}"
    if field == TriggerDate.FIRST_PURCHASE_ANNIVERSARY:
        return (
            customers.filter(
                first_purchase_at__month=day.month,
                first_purchase_at__day=day.day,
                first_purchase_at__year__lt=day.year,
            ),
            f"{day.year}",
        )
    if field == TriggerDate.DAYS_AFTER_LAST_PURCHASE:
        then = day - dt.timedelta(days=trigger["days"])
        return (
            customers.filter(
                last_purchase_at__gte=day_start(then),
                last_purchase_at__lt=day_start(then + dt.timedelta(days=1)),
            ),
            day.isoformat(),
        )
    if field == TriggerDate.REPURCHASE_DUE:
        return _repurchase_due(trigger["days"], day), day.isoformat()
    return _expected_next(day), day.isoformat()


def _expected_next(day: dt.date) -> QuerySet[Any]:
    """The expected next purchase: the last one plus the customer's own mean
    gap, from the latest scoring run (the day it falls on)."""
    scored = latest_as_of()
    if scored is None:
        return customer_rows().none()
    later = (day - scored).days
    due = (
        snapshot_rows(as_of=scored)
        .filter(mean_gap_days__isnull=False, days_since_last_purchase__isnull=False)
        .annotate(left=F("mean_gap_days") - F("days_since_last_purchase"))
        .filter(left__gte=later, left__lt=later + 1)
    )
    return _ids_in(due)


def _repurchase_due(days: int, day: dt.date) -> QuerySet[Any]:
    """At the expected next purchase for customers with a rhythm in the
    latest scoring run, else ``days`` after the last purchase (seed handbook
    000, 4.2: 客户上次购买30天后自动发送)."""
    then = day - dt.timedelta(days=days)
    after = customer_rows().filter(
        last_purchase_at__gte=day_start(then),
        last_purchase_at__lt=day_start(then + dt.timedelta(days=1)),
    )
    scored = latest_as_of()
    if scored is None:
        return after
    # NOT EXISTS, not NOT IN: PostgreSQL cannot hash a million snapshots in
    # its work memory and would scan them once per customer.
    rhythm = snapshot_rows(as_of=scored).filter(
        mean_gap_days__isnull=False, customer_id=OuterRef("pk")
    )
    return customer_rows().filter(
        Q(pk__in=_expected_next(day).values("pk"))
        | Q(pk__in=after.filter(~Exists(rhythm)).values("pk"))
    )


def _segment_change(trigger: dict[str, Any], day: dt.date) -> QuerySet[Any]:
    """Who entered (or left) the segment with the scoring run of ``day``:
    members as of that run and not as of the run before (or the reverse),
    set-based. Nothing on a day without a run, or before a second run."""
    runs = list(
        run_list()
        .filter(status=RunStatus.DONE, as_of__lte=day)
        .values_list("as_of", flat=True)[:2]
    )
    if len(runs) < 2 or runs[0] != day:
        return customer_rows().none()
    segment = segment_get(pk=trigger["segment"])
    everyone = everyone_actor()
    now, before = (
        segment_members(actor=everyone, rules=segment.rules, as_of=run).values("pk")
        for run in runs
    )
    if trigger["event"] == TriggerEvent.SEGMENT_ENTRY:
        return customer_rows().filter(pk__in=now).exclude(pk__in=before)
    return customer_rows().filter(pk__in=before).exclude(pk__in=now)


def _event(
    journey: Journey, trigger: dict[str, Any], day: dt.date
) -> tuple[QuerySet[Any], str]:
    start, end = _window(journey, day)
    key = day.isoformat()
    customers = customer_rows()
    event = trigger["event"]
    if start >= end:
        return customers.none(), key
    if event == TriggerEvent.CUSTOMER_CREATED:
        return customers.filter(created_at__gte=start, created_at__lt=end), key
    if event == TriggerEvent.FIRST_PURCHASE:
        return customers.filter(
            first_purchase_at__gte=start, first_purchase_at__lt=end
        ), key
    if event == TriggerEvent.PURCHASE:
        return customers.filter(
            last_purchase_at__gte=start, last_purchase_at__lt=end
        ), key
    if event in (TriggerEvent.SEGMENT_ENTRY, TriggerEvent.SEGMENT_EXIT):
        return _segment_change(trigger, day), key
    everyone = everyone_actor()
    if event == TriggerEvent.STAGE_CHANGE:
        changes = stage_change_scope(actor=everyone).filter(as_of=day)
        if trigger.get("stage"):
            changes = changes.filter(to_stage=trigger["stage"])
        return _ids_in(changes), key
    if event == TriggerEvent.WARNING_OPENED:
        return _ids_in(warning_scope(actor=everyone).filter(opened_as_of=day)), key
    if event == TriggerEvent.TASK_CLOSED:
        return (
            _ids_in(
                task_scope(actor=everyone).filter(
                    closed_at__gte=start, closed_at__lt=end
                )
            ),
            key,
        )
    return customers.none(), key


def trigger_candidates(
    journey: Journey, trigger: dict[str, Any], day: dt.date
) -> tuple[QuerySet[Any], str]:
    """The customers the trigger picks on ``day``, and the occurrence key."""
    kind = trigger["type"]
    if kind == "date":
        return _date(trigger, day)
    if kind == "schedule":
        segment = segment_get(pk=trigger["segment"])
        members = segment_members(actor=everyone_actor(), rules=segment.rules)
        return members, period_key(trigger["every"], day)
    return _event(journey, trigger, day)
