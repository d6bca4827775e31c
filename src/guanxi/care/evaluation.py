"""Evaluate the warning signals as of a date, set-based, and open, extend or
close warnings (and open their tasks) in one transaction.

Each signal is one query over the scoring run's snapshots or over the
interactions (grouped in the database); only the customers a signal fires for
come back to Python, where their warnings are written in bulk. A second
evaluation of the same as-of finds the same signals already on the open
warnings and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    Value,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.analytics.sentiment import sentiment_of
from guanxi.care.assignment import tasks_place
from guanxi.care.choices import (
    SIGNAL_ORDER,
    Priority,
    Remedy,
    Signal,
    TaskStatus,
    WarningStatus,
)
from guanxi.care.models import CareSettings, CareTask, ChurnWarning, WarningRun
from guanxi.core.bulk import RowWriter, datetime_adapter
from guanxi.core.errors import ValidationFailed
from guanxi.customers.choices import InteractionKind
from guanxi.customers.selectors import customer_rows, interaction_rows
from guanxi.insights.choices import Quadrant
from guanxi.insights.selectors import latest_as_of, run_done_on, snapshot_rows

__all__ = ["ACTIVITY_KINDS", "FEEDBACK_KINDS", "care_settings", "warnings_evaluate"]

#: What counts as the customer being active (not staff logging a call or note).
ACTIVITY_KINDS = (
    InteractionKind.VISIT,
    InteractionKind.LOGIN,
    InteractionKind.MESSAGE_OPENED,
    InteractionKind.MESSAGE_CLICKED,
    InteractionKind.COMMUNITY_POST,
    InteractionKind.EVENT_ATTENDED,
    InteractionKind.REVIEW,
)
#: Texts the customer wrote whose sentiment is read.
FEEDBACK_KINDS = (
    InteractionKind.REVIEW,
    InteractionKind.COMPLAINT,
    InteractionKind.COMMUNITY_POST,
    InteractionKind.CHAT,
)
#: Before the first evaluation, feedback of this many days (as-of included).
FIRST_FEEDBACK_DAYS = 7
_CHUNK = 2000
_HIGH_VALUE = (Quadrant.STAR, Quadrant.CASH_COW)
_BASE_PRIORITY: dict[str, Priority] = {
    Quadrant.STAR: Priority.HIGH,
    Quadrant.CASH_COW: Priority.HIGH,
    Quadrant.POTENTIAL: Priority.NORMAL,
}

Fired = dict[int, dict[str, dict[str, Any]]]
_T = TypeVar("_T")


def care_settings() -> CareSettings:
    """The thresholds (the defaults until an admin saves)."""
    found = CareSettings.objects.filter(pk=1).first()
    return found if found is not None else CareSettings(pk=1)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


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
    config = care_settings()
    with transaction.atomic():
        previous = (
            WarningRun.objects.filter(as_of__lt=day)
            .order_by("-as_of")
            .values_list("as_of", flat=True)
            .first()
        )
        closed = _close_won_back(day) + _lapse(day, config)
        fired = _fire(day, config, since=previous)
        opened, updated = _apply(day, fired, config)
        run, _created = WarningRun.objects.update_or_create(
            as_of=day,
            defaults={
                "opened": opened,
                "updated": updated,
                "closed": closed,
                "seconds": round(time.monotonic() - started, 3),
            },
        )
    return run


def _close_won_back(day: dt.date) -> int:
    """Open warnings of customers who bought after the warning opened: won
    back (their open tasks are no longer needed)."""
    bought = snapshot_rows(as_of=day).filter(
        customer_id=OuterRef("customer_id"), last_purchase__gt=OuterRef("opened_as_of")
    )
    won = ChurnWarning.objects.filter(
        status=WarningStatus.OPEN, opened_as_of__lt=day
    ).filter(Exists(bought))
    now = timezone.now()
    CareTask.objects.filter(
        status=TaskStatus.OPEN, warning__in=won.values("pk")
    ).update(status=TaskStatus.OBSOLETE, closed_at=now)
    return won.update(status=WarningStatus.WON_BACK, closed_at=now)


def _lapse(day: dt.date, config: CareSettings) -> int:
    """Open warnings whose customer was contacted ``check_back_days`` or more
    days ago (a task closed, none open) and has not bought since: lapsed.
    (A purchase would have won them back first.)"""
    contacted = CareTask.objects.filter(
        warning=OuterRef("pk"),
        status=TaskStatus.DONE,
        closed_at__lt=_start_of(day - dt.timedelta(days=config.check_back_days - 1)),
    )
    waiting = CareTask.objects.filter(warning=OuterRef("pk"), status=TaskStatus.OPEN)
    return (
        ChurnWarning.objects.filter(status=WarningStatus.OPEN, opened_as_of__lt=day)
        .filter(Exists(contacted))
        .exclude(Exists(waiting))
        .update(status=WarningStatus.LAPSED, closed_at=timezone.now())
    )


def _lapsed_quiet(day: dt.date, customer_ids: Sequence[int]) -> set[int]:
    """Customers given up on (a lapsed warning) who have not bought since that
    warning opened: no new warning until they do."""
    bought = snapshot_rows(as_of=day).filter(
        customer_id=OuterRef("customer_id"), last_purchase__gt=OuterRef("opened_as_of")
    )
    found: set[int] = set()
    for chunk in _chunks(customer_ids):
        found.update(
            ChurnWarning.objects.filter(
                status=WarningStatus.LAPSED, customer_id__in=chunk
            )
            .exclude(Exists(bought))
            .values_list("customer_id", flat=True)
        )
    return found


def _fire(day: dt.date, config: CareSettings, *, since: dt.date | None) -> Fired:
    """Every customer a signal fires for as of ``day``, with its details."""
    fired: Fired = {}

    def add(customer_id: int, signal: Signal, details: dict[str, Any]) -> None:
        fired.setdefault(customer_id, {})[signal.value] = details

    rhythm = ExpressionWrapper(
        F("mean_gap_days") * Value(float(config.rhythm_factor)),
        output_field=FloatField(),
    )
    rows = (
        snapshot_rows(as_of=day)
        .annotate(rhythm_limit=rhythm)
        .filter(
            Q(days_since_last_purchase__gte=config.no_purchase_days)
            | Q(mean_gap_days__gt=0, days_since_last_purchase__gt=F("rhythm_limit"))
            | Q(p_alive__lt=config.p_alive_below)
            | Q(churn_risk__gte=config.churn_risk_from)
        )
        .values_list(
            "customer_id",
            "days_since_last_purchase",
            "mean_gap_days",
            "p_alive",
            "churn_risk",
        )
        .order_by()
    )
    k = float(config.rhythm_factor)
    for customer_id, days, gap, p_alive, risk in rows.iterator(chunk_size=_CHUNK):
        if days is not None and days >= config.no_purchase_days:
            add(customer_id, Signal.NO_PURCHASE, {"days": days})
        if days is not None and gap and days > gap * k:
            add(
                customer_id,
                Signal.PAST_RHYTHM,
                {"days": days, "gap": round(gap, 1), "k": k},
            )
        if p_alive is not None and p_alive < config.p_alive_below:
            add(customer_id, Signal.LOW_P_ALIVE, {"p_alive": round(p_alive, 4)})
        if risk is not None and risk >= config.churn_risk_from:
            add(customer_id, Signal.CHURN_RISK, {"risk": round(risk, 4)})
    end = _start_of(day + dt.timedelta(days=1))
    # Quiet: the last activity is quiet_days or more before the end of the
    # day, and within the active window before that.
    quiet_start = _start_of(day - dt.timedelta(days=config.quiet_days - 1))
    active_start = _start_of(
        day - dt.timedelta(days=config.quiet_days + config.active_window_days - 1)
    )
    quiet = (
        interaction_rows()
        .filter(
            kind__in=ACTIVITY_KINDS, occurred_at__gte=active_start, occurred_at__lt=end
        )
        .values("customer_id")
        .annotate(last=Max("occurred_at"))
        .filter(last__lt=quiet_start)
        .values_list("customer_id", "last")
        .order_by()
    )
    for customer_id, last in quiet.iterator(chunk_size=_CHUNK):
        days = (day - timezone.localtime(last).date()).days
        add(customer_id, Signal.QUIET, {"days": days})
    month_start = day.replace(day=1)
    complaints = (
        interaction_rows()
        .filter(
            kind=InteractionKind.COMPLAINT,
            occurred_at__gte=_start_of(month_start),
            occurred_at__lt=end,
        )
        .values("customer_id")
        .annotate(n=Count("id"))
        .filter(n__gt=config.complaints_per_month_above)
        .values_list("customer_id", "n")
        .order_by()
    )
    for customer_id, count in complaints.iterator(chunk_size=_CHUNK):
        add(
            customer_id,
            Signal.COMPLAINTS,
            {"count": count, "month": f"{month_start:%Y-%m}"},
        )
    _fire_feedback(day, config, since=since, end=end, add=add)
    return fired


def _fire_feedback(
    day: dt.date,
    config: CareSettings,
    *,
    since: dt.date | None,
    end: dt.datetime,
    add: Any,
) -> None:
    """Negative texts written since the previous evaluation (the strongest per
    customer), read by ``guanxi.analytics.sentiment``."""
    first = (
        since + dt.timedelta(days=1)
        if since is not None
        else day - dt.timedelta(days=FIRST_FEEDBACK_DAYS - 1)
    )
    texts = (
        interaction_rows()
        .filter(
            kind__in=FEEDBACK_KINDS,
            occurred_at__gte=_start_of(first),
            occurred_at__lt=end,
        )
        .exclude(note="")
        .values_list("pk", "customer_id", "note")
        .order_by("pk")
    )
    strongest: dict[int, tuple[float, int]] = {}
    batch: list[tuple[int, int, str]] = []

    def score() -> None:
        found = sentiment_of([note for _pk, _c, note in batch])
        for (pk, customer_id, _note), sentiment in zip(batch, found, strict=True):
            p = sentiment.negative_probability
            if (
                p >= config.negative_from
                and p > strongest.get(customer_id, (-1.0, 0))[0]
            ):
                strongest[customer_id] = (p, pk)
        batch.clear()

    for row in texts.iterator(chunk_size=_CHUNK):
        batch.append(row)
        if len(batch) >= _CHUNK:
            score()
    if batch:
        score()
    for customer_id, (p, pk) in strongest.items():
        add(
            customer_id,
            Signal.NEGATIVE_FEEDBACK,
            {"negative_probability": p, "interaction": pk},
        )


def _apply(day: dt.date, fired: Fired, config: CareSettings) -> tuple[int, int]:
    """Open a warning (and its task) for each newly warned customer; add new
    signals to open warnings. The counts (opened, updated)."""
    stamp = day.isoformat()
    ids = sorted(fired)
    given_up = _lapsed_quiet(day, ids)
    current: dict[int, tuple[int, dict[str, Any]]] = {}
    for chunk in _chunks(ids):
        for customer_id, pk, signals in ChurnWarning.objects.filter(
            status=WarningStatus.OPEN, customer_id__in=chunk
        ).values_list("customer_id", "pk", "signals"):
            current[customer_id] = (pk, signals)
    now = timezone.now()
    new: list[_NewWarning] = []
    changed: list[ChurnWarning] = []
    for customer_id in ids:
        stamped = {k: {"as_of": stamp, **v} for k, v in fired[customer_id].items()}
        found = current.get(customer_id)
        if found is None:
            if customer_id not in given_up:
                new.append(_NewWarning(customer_id, stamped))
            continue
        pk, signals = found
        added = {k: v for k, v in stamped.items() if k not in signals}
        if added:
            changed.append(
                ChurnWarning(
                    pk=pk, signals={**signals, **added}, as_of=day, updated_at=now
                )
            )
    _insert_warnings(day, new, now)
    ChurnWarning.objects.bulk_update(
        changed, ["signals", "as_of", "updated_at"], batch_size=_CHUNK
    )
    _open_tasks(day, new, config, now)
    return len(new), len(changed)


@dataclass
class _NewWarning:
    customer_id: int
    signals: dict[str, dict[str, Any]]
    pk: int = 0

    def signal_keys(self) -> list[Signal]:
        return [s for s in SIGNAL_ORDER if s.value in self.signals]


_WARNING_COLUMNS = (
    "customer", "status", "signals", "opened_as_of", "as_of", "opened_at",
    "updated_at", "closed_at",
)  # fmt: skip
_TASK_COLUMNS = (
    "warning", "customer", "owner", "round_robin", "status", "priority", "due_on",
    "remedy", "created_at",
)  # fmt: skip


def _insert_warnings(day: dt.date, new: list[_NewWarning], now: dt.datetime) -> None:
    """The new warnings as rows (the ORM's bulk_create prepares every field of
    every object in Python: 70 % of the evaluation's time at 100,000)."""
    if not new:
        return
    writer = RowWriter(ChurnWarning, _WARNING_COLUMNS)
    moment = datetime_adapter()(now)
    for warning, pk in zip(new, writer.reserve(len(new)), strict=True):
        warning.pk = pk
    writer.insert(
        (
            (
                w.pk, w.customer_id, WarningStatus.OPEN.value, json.dumps(w.signals),
                day.isoformat(), day.isoformat(), moment, moment, None,
            )
            for w in new
        ),
        with_pk=True,
    )  # fmt: skip


def _open_tasks(
    day: dt.date, warnings: list[_NewWarning], config: CareSettings, now: dt.datetime
) -> None:
    """One task per new warning: the account manager's, else the service
    team's in turn; priority from value and risk; remedy from value and
    reason."""
    if not warnings:
        return
    ids = [w.customer_id for w in warnings]
    managers: dict[int, int | None] = {}
    scores: dict[int, tuple[str, float | None]] = {}
    for chunk in _chunks(ids):
        managers.update(
            customer_rows()
            .filter(pk__in=chunk)
            .values_list("pk", "assigned_manager_id")
            .order_by()
        )
        for customer_id, quadrant, risk in (
            snapshot_rows(as_of=day)
            .filter(customer_id__in=chunk)
            .values_list("customer_id", "quadrant", "churn_risk")
            .order_by()
        ):
            scores[customer_id] = (quadrant, risk)
    first_due = day + dt.timedelta(days=config.task_due_days)
    moment = datetime_adapter()(now)
    planned = []
    for warning in warnings:
        quadrant, risk = scores.get(warning.customer_id, ("", None))
        priority = _BASE_PRIORITY.get(quadrant, Priority.LOW)
        if risk is not None and risk >= config.churn_risk_from:
            priority = Priority(max(Priority.URGENT, priority - 1))
        planned.append((warning, priority, _remedy(quadrant, warning.signal_keys())))
    # The daily cap with spill-over (guanxi.care.assignment), most urgent first.
    placements = tasks_place(
        due_on=first_due,
        managers=[managers.get(w.customer_id) for w in warnings],
        priorities=[int(p) for _w, p, _r in planned],
    )
    rows = []
    for place in placements:
        warning, priority, remedy = planned[place.index]
        rows.append(
            (
                warning.pk, warning.customer_id, place.owner_id, place.round_robin,
                TaskStatus.OPEN.value, int(priority), place.due_on.isoformat(),
                remedy.value, moment,
            )
        )  # fmt: skip
    RowWriter(CareTask, _TASK_COLUMNS).insert(rows)


def _remedy(quadrant: str, signals: list[Signal]) -> Remedy:
    """High-value customers get a call from their manager; a complaint or
    negative feedback a free upgrade (the service made good); everyone else a
    coupon (seed handbook 000, 2.4: 专属折扣、免费升级)."""
    if quadrant in _HIGH_VALUE:
        return Remedy.MANAGER_CALL
    if Signal.COMPLAINTS in signals or Signal.NEGATIVE_FEEDBACK in signals:
        return Remedy.FREE_UPGRADE
    return Remedy.COUPON
