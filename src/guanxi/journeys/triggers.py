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

from django.db.models import F, QuerySet

from guanxi.care.selectors import task_scope, warning_scope
from guanxi.customers.selectors import customer_rows
from guanxi.insights.selectors import latest_as_of, snapshot_rows, stage_change_scope
from guanxi.journeys.choices import TriggerDate, TriggerEvent
from guanxi.journeys.engine import day_start, period_key
from guanxi.journeys.models import Journey
from guanxi.segments.selectors import everyone_actor, segment_get, segment_members

__all__ = ["purchase_candidates", "trigger_candidates"]


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
    # The expected next purchase: the last one plus the customer's own mean
    # gap, from the latest scoring run (the day it falls on).
    scored = latest_as_of()
    if scored is None:
        return customers.none(), day.isoformat()
    later = (day - scored).days
    due = (
        snapshot_rows(as_of=scored)
        .filter(mean_gap_days__isnull=False, days_since_last_purchase__isnull=False)
        .annotate(left=F("mean_gap_days") - F("days_since_last_purchase"))
        .filter(left__gte=later, left__lt=later + 1)
    )
    return _ids_in(due), day.isoformat()


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


def purchase_candidates(
    journey: Journey,
    trigger: dict[str, Any],
    customer_ids: list[int],
    moment: dt.datetime,
) -> QuerySet[Any]:
    """Of the customers whose orders were just written, those a purchase (or
    first purchase) trigger picks: who bought in the last day, since the
    journey was switched on (an import of old orders enrols nobody)."""
    since = moment - dt.timedelta(days=1)
    if journey.enabled_at is not None and journey.enabled_at > since:
        since = journey.enabled_at
    customers = customer_rows().filter(pk__in=customer_ids)
    if trigger["event"] == TriggerEvent.FIRST_PURCHASE:
        return customers.filter(first_purchase_at__gte=since)
    return customers.filter(last_purchase_at__gte=since)
