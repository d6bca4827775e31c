"""Evaluate the warning signals as of a date, set-based, and open, extend or
close warnings (and open their tasks) in one transaction.

The signals are read in :mod:`guanxi.care.firing` (one query each); a daily
evaluation writes what they find set-based (:mod:`guanxi.care.opening`),
events and survey answers row by row (:mod:`guanxi.care.writing`); the
thresholds are
:mod:`guanxi.care.thresholds`. Here: the entry points (a daily evaluation,
events as they arrive, a survey answer) and the life of an open warning (won
back, the next step of the plan, lapsed). A second evaluation of the same
as-of finds the same signals already on the open warnings and changes
nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Collection
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.care.batches import CHUNK, chunks
from guanxi.care.choices import Remedy, Signal, TaskStatus, WarningStatus
from guanxi.care.firing import (
    ACTIVITY_KINDS,
    FEEDBACK_KINDS,
    Fired,
    fire_complaints,
    fire_feedback,
    start_of,
)
from guanxi.care.models import CareSettings, CareTask, ChurnWarning, WarningRun
from guanxi.care.opening import warnings_open_all
from guanxi.care.signals import customer_lapsed
from guanxi.care.thresholds import Thresholds, care_settings, care_thresholds
from guanxi.care.writing import TASK_COLUMNS, apply_fired
from guanxi.core.bulk import RowWriter, datetime_adapter
from guanxi.core.errors import ValidationFailed
from guanxi.customers.selectors import customer_rows
from guanxi.insights.selectors import latest_as_of, run_done_on, snapshot_rows

__all__ = [
    "ACTIVITY_KINDS",
    "FEEDBACK_KINDS",
    "Thresholds",
    "care_settings",
    "care_thresholds",
    "warning_from_answer",
    "warnings_evaluate",
    "warnings_on_events",
]

log = logging.getLogger(__name__)


def warnings_evaluate(*, as_of: dt.date | None = None) -> WarningRun:
    """Evaluate every signal as of ``as_of`` (default: the latest finished
    scoring run) and record the counts; the run."""
    started = time.monotonic()
    day = as_of if as_of is not None else latest_as_of()
    if day is None:
        raise ValidationFailed(
            _("There is no scoring run yet: score the customers first.")
        )
    if not run_done_on(as_of=day):
        raise ValidationFailed(
            _("There is no finished scoring run as of %(date)s: score that day first.")
            % {"date": day.isoformat()}
        )
    limits = care_thresholds()
    with transaction.atomic():
        previous = _previous_run(day)
        won = _close_won_back(day)
        advanced, lapsed = _check_back(day, limits.config)
        opened, updated = warnings_open_all(day, limits, since=previous)
        run, _created = WarningRun.objects.update_or_create(
            as_of=day,
            defaults={
                "opened": opened,
                "updated": updated + advanced,
                "closed": won + len(lapsed),
                "seconds": round(time.monotonic() - started, 3),
            },
        )
        _announce_lapsed(lapsed)
    return run


def _previous_run(day: dt.date) -> dt.date | None:
    return (
        WarningRun.objects.filter(as_of__lt=day)
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )


def warnings_on_events(
    *,
    customer_ids: Collection[int] | None,
    orders: bool = False,
    interactions: bool = False,
    today: dt.date | None = None,
) -> tuple[int, int, int]:
    """Evaluate, for these customers (None: everyone, after an import that
    touched too many to list), what an order or an interaction that just
    arrived can change: an order wins an open warning back; a complaint or a
    negative text opens or adds to a warning at once. Bounded: one call per
    write (a web form, an API request, an import's batch), set-based over the
    customers given. Needs a finished scoring run (quadrants and thresholds);
    without one nothing happens. The counts (opened, updated, closed)."""
    scores_day = latest_as_of()
    if scores_day is None:
        return 0, 0, 0
    day = today if today is not None else timezone.localdate()
    limits = care_thresholds()
    opened = updated = closed = 0
    with transaction.atomic():
        if orders:
            closed = _won_back_by_orders(customer_ids)
        if interactions:
            ids = None if customer_ids is None else sorted(set(customer_ids))
            fired: Fired = {}

            def add(customer_id: int, signal: Signal, details: dict[str, Any]) -> None:
                fired.setdefault(customer_id, {})[signal.value] = details

            end = start_of(day + dt.timedelta(days=1))
            since = _previous_run(day)
            for chunk in chunks(ids) if ids is not None else [None]:
                fire_complaints(
                    day, limits, end=end, add=add, scores_day=scores_day, ids=chunk
                )
                fire_feedback(
                    day, limits, since=since, end=end, add=add,
                    scores_day=scores_day, ids=chunk,
                )  # fmt: skip
            opened, updated = apply_fired(
                day, fired, limits.config, scores_day=scores_day
            )
    return opened, updated, closed


def warning_from_answer(
    *, customer_id: int, details: dict[str, Any], today: dt.date | None = None
) -> tuple[int, int]:
    """A survey answer that calls for a call back (a detractor, a poor CSAT):
    open a warning with its task for the customer (the account manager's, else
    the service team's in turn), or add the signal to the warning already
    open, so one customer never gets two tasks for it. ``details`` (the
    survey, the score, the answer's id and reason) is kept as the signal's
    details and shown as the task's reason. The counts (opened, updated)."""
    day = today if today is not None else timezone.localdate()
    scores_day = latest_as_of() or day
    with transaction.atomic():
        return apply_fired(
            day,
            {customer_id: {Signal.NEGATIVE_FEEDBACK.value: details}},
            care_settings(),
            scores_day=scores_day,
        )


def _won_back_by_orders(customer_ids: Collection[int] | None) -> int:
    """Open warnings of these customers whose last purchase (as the orders
    keep it) is after the day the warning opened: won back. One update per
    opening day among the open warnings (few), not per customer."""
    warnings = ChurnWarning.objects.filter(status=WarningStatus.OPEN)
    ids = None if customer_ids is None else sorted(set(customer_ids))
    total = 0
    for chunk in chunks(ids) if ids is not None else [None]:
        rows = warnings if chunk is None else warnings.filter(customer_id__in=chunk)
        days = rows.values_list("opened_as_of", flat=True).distinct().order_by()
        for opened in list(days):
            bought = customer_rows().filter(
                pk=OuterRef("customer_id"),
                last_purchase_at__gte=start_of(opened + dt.timedelta(days=1)),
            )
            won = rows.filter(opened_as_of=opened).filter(Exists(bought))
            total += _mark_won_back(won)
    return total


def _mark_won_back(won: QuerySet[ChurnWarning]) -> int:
    now = timezone.now()
    CareTask.objects.filter(
        status=TaskStatus.OPEN, warning__in=won.values("pk")
    ).update(status=TaskStatus.OBSOLETE, closed_at=now)
    return won.update(status=WarningStatus.WON_BACK, closed_at=now)


def _close_won_back(day: dt.date) -> int:
    """Open warnings of customers who bought after the warning opened: won
    back (their open tasks are no longer needed)."""
    bought = snapshot_rows(as_of=day).filter(
        customer_id=OuterRef("customer_id"), last_purchase__gt=OuterRef("opened_as_of")
    )
    won = ChurnWarning.objects.filter(
        status=WarningStatus.OPEN, opened_as_of__lt=day
    ).filter(Exists(bought))
    return _mark_won_back(won)


def _check_back(day: dt.date, config: CareSettings) -> tuple[int, list[int]]:
    """Open warnings whose last task was done (the contact) ``check_back_days``
    or more days ago, with no task open, and no purchase since (a purchase
    would have won them back first): the next step of the plan opens a task
    for the same person; after the last step the warning is lapsed. The
    number of plans moved on, and the lapsed warnings' ids."""
    cutoff = start_of(day - dt.timedelta(days=config.check_back_days - 1))
    last = CareTask.objects.filter(warning=OuterRef("pk")).order_by("-step", "-pk")
    waiting = CareTask.objects.filter(warning=OuterRef("pk"), status=TaskStatus.OPEN)
    due = (
        ChurnWarning.objects.filter(status=WarningStatus.OPEN, opened_as_of__lt=day)
        .exclude(Exists(waiting))
        .annotate(
            last_step=Subquery(last.values("step")[:1]),
            last_status=Subquery(last.values("status")[:1]),
            contacted_at=Subquery(last.values("closed_at")[:1]),
        )
        .filter(last_status=TaskStatus.DONE, contacted_at__lt=cutoff)
    )
    lapsed = list(
        due.filter(last_step__gte=config.plan_steps)
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    now = timezone.now()
    for chunk in chunks(lapsed):
        ChurnWarning.objects.filter(pk__in=chunk).update(
            status=WarningStatus.LAPSED, closed_at=now
        )
    rows = []
    due_on = (day + dt.timedelta(days=config.task_due_days)).isoformat()
    moment = datetime_adapter()(now)
    nexts = due.filter(last_step__lt=config.plan_steps).annotate(
        owner_id=Subquery(last.values("owner_id")[:1]),
        round_robin=Subquery(last.values("round_robin")[:1]),
        priority=Subquery(last.values("priority")[:1]),
        remedy=Subquery(last.values("remedy")[:1]),
    )
    for (
        pk,
        customer_id,
        step,
        owner,
        round_robin,
        priority,
        remedy,
    ) in nexts.values_list(
        "pk",
        "customer_id",
        "last_step",
        "owner_id",
        "round_robin",
        "priority",
        "remedy",
    ).iterator(chunk_size=CHUNK):
        rows.append(
            (
                pk, customer_id, owner, bool(round_robin), TaskStatus.OPEN.value,
                int(priority), due_on, _offer(remedy).value, moment, step + 1,
            )
        )  # fmt: skip
    RowWriter(CareTask, TASK_COLUMNS).insert(rows)
    return len(rows), lapsed


def _offer(previous: str) -> Remedy:
    """The later steps make an offer (seed handbook 000, 2.4: 挽回权益): a
    coupon, or a free upgrade when the step before already suggested one."""
    return Remedy.FREE_UPGRADE if previous == Remedy.COUPON else Remedy.COUPON


def _announce_lapsed(lapsed: list[int]) -> None:
    """After the commit, :data:`customer_lapsed` once per lapsed warning."""
    if not lapsed:
        return

    def send() -> None:
        for chunk in chunks(lapsed):
            for warning in ChurnWarning.objects.filter(pk__in=chunk).order_by("pk"):
                for receiver, result in customer_lapsed.send_robust(
                    sender=ChurnWarning,
                    warning=warning,
                    customer_id=warning.customer_id,
                ):
                    if isinstance(result, Exception):
                        log.error(
                            "lapse hook %r failed for warning %d: %s",
                            receiver, warning.pk, type(result).__name__,
                        )  # fmt: skip

    transaction.on_commit(send)
