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
import logging
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
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
from guanxi.care.models import (
    THRESHOLD_FIELDS,
    CareSettings,
    CareTask,
    ChurnWarning,
    QuadrantThresholds,
    WarningRun,
)
from guanxi.care.signals import customer_lapsed
from guanxi.core.bulk import RowWriter, datetime_adapter
from guanxi.core.errors import ValidationFailed
from guanxi.customers.choices import InteractionKind
from guanxi.customers.selectors import customer_rows, interaction_rows
from guanxi.insights.choices import Quadrant
from guanxi.insights.selectors import latest_as_of, run_done_on, snapshot_rows

__all__ = [
    "ACTIVITY_KINDS",
    "FEEDBACK_KINDS",
    "Thresholds",
    "care_settings",
    "care_thresholds",
    "warnings_evaluate",
    "warnings_on_events",
]

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
#: From this many customers on, their rows are read in one pass (_rows_of).
_READ_ALL_FROM = 20_000
_HIGH_VALUE = (Quadrant.STAR, Quadrant.CASH_COW)
_BASE_PRIORITY: dict[str, Priority] = {
    Quadrant.STAR: Priority.HIGH,
    Quadrant.CASH_COW: Priority.HIGH,
    Quadrant.POTENTIAL: Priority.NORMAL,
}

log = logging.getLogger(__name__)

Fired = dict[int, dict[str, dict[str, Any]]]
_T = TypeVar("_T")


def care_settings() -> CareSettings:
    """The thresholds (the defaults until an admin saves)."""
    found = CareSettings.objects.filter(pk=1).first()
    return found if found is not None else CareSettings(pk=1)


_INT_FIELDS = frozenset(
    {
        "no_purchase_days",
        "quiet_days",
        "active_window_days",
        "complaints_per_month_above",
    }
)


@dataclass(frozen=True)
class Thresholds:
    """The global thresholds and each quadrant's own (``overrides[field]``
    maps a quadrant to its value; a quadrant without one takes the global).

    In queries a threshold is a ``CASE`` over the customer's quadrant: the
    per-quadrant values are joined into the one query of each signal."""

    config: CareSettings
    overrides: dict[str, dict[str, float]]

    def get(self, field: str, quadrant: str | None) -> Any:
        found = self.overrides.get(field, {})
        if quadrant is not None and quadrant in found:
            return found[quadrant]
        return getattr(self.config, field)

    def values(self, field: str) -> list[Any]:
        """Every value the threshold takes (global first)."""
        return [getattr(self.config, field), *self.overrides.get(field, {}).values()]

    def split(self, *fields: str) -> bool:
        """Whether any of ``fields`` differs by quadrant."""
        return any(self.overrides.get(f) for f in fields)

    def expr(
        self,
        field: str,
        ref: str = "quadrant",
        *,
        shift: Any = None,
        output: Any = None,
    ) -> Any:
        """The threshold as a SQL expression over the quadrant column ``ref``
        (``shift`` maps a value to what the query compares with, of type
        ``output``)."""
        convert = shift if shift is not None else (lambda v: v)
        if output is None:
            output = IntegerField() if field in _INT_FIELDS else FloatField()
        base = Value(convert(getattr(self.config, field)), output_field=output)
        whens = [
            When(**{ref: quadrant}, then=Value(convert(value), output_field=output))
            for quadrant, value in sorted(self.overrides.get(field, {}).items())
        ]
        if not whens:
            return base
        return Case(*whens, default=base, output_field=output)


def care_thresholds() -> Thresholds:
    """The settings and the quadrants' own thresholds."""
    overrides: dict[str, dict[str, float]] = {}
    for row in QuadrantThresholds.objects.all():
        for field in THRESHOLD_FIELDS:
            value = getattr(row, field)
            if value is not None:
                overrides.setdefault(field, {})[row.quadrant] = value
    return Thresholds(care_settings(), overrides)


def _quadrant_of(scores_day: dt.date) -> Any:
    """The customer's quadrant in the scoring run of ``scores_day`` (a
    subquery on ``customer_id``)."""
    rows = snapshot_rows(as_of=scores_day).filter(customer_id=OuterRef("customer_id"))
    return Subquery(rows.values("quadrant")[:1])


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _rows_of(
    rows: QuerySet[Any], customer_ids: Sequence[int], key: str, *fields: str
) -> Iterator[tuple[Any, ...]]:
    """``(key, *fields)`` of the ``rows`` whose ``key`` is one of
    ``customer_ids``. Few customers (an event): ``key IN (…)`` 2,000 at a
    time; many (a daily evaluation warns most customers): every row in one
    read, kept in Python — at a million customers that is one query instead
    of hundreds, each binding 2,000 parameters."""
    values = rows.values_list(key, *fields).order_by()
    if len(customer_ids) <= _READ_ALL_FROM:
        for chunk in _chunks(customer_ids):
            yield from values.filter(**{f"{key}__in": chunk})
        return
    wanted = set(customer_ids)
    for row in values.iterator(chunk_size=_CHUNK):
        if row[0] in wanted:
            yield row


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
        fired = _fire(day, limits, since=previous)
        opened, updated = _apply(day, fired, limits.config, scores_day=day)
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

            end = _start_of(day + dt.timedelta(days=1))
            since = _previous_run(day)
            for chunk in _chunks(ids) if ids is not None else [None]:
                _fire_complaints(
                    day, limits, end=end, add=add, scores_day=scores_day, ids=chunk
                )
                _fire_feedback(
                    day, limits, since=since, end=end, add=add,
                    scores_day=scores_day, ids=chunk,
                )  # fmt: skip
            opened, updated = _apply(day, fired, limits.config, scores_day=scores_day)
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
        return _apply(
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
    for chunk in _chunks(ids) if ids is not None else [None]:
        rows = warnings if chunk is None else warnings.filter(customer_id__in=chunk)
        days = rows.values_list("opened_as_of", flat=True).distinct().order_by()
        for opened in list(days):
            bought = customer_rows().filter(
                pk=OuterRef("customer_id"),
                last_purchase_at__gte=_start_of(opened + dt.timedelta(days=1)),
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
    cutoff = _start_of(day - dt.timedelta(days=config.check_back_days - 1))
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
    for chunk in _chunks(lapsed):
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
    ).iterator(chunk_size=_CHUNK):
        rows.append(
            (
                pk, customer_id, owner, bool(round_robin), TaskStatus.OPEN.value,
                int(priority), due_on, _offer(remedy).value, moment, step + 1,
            )
        )  # fmt: skip
    RowWriter(CareTask, _TASK_COLUMNS).insert(rows)
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
        for chunk in _chunks(lapsed):
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


def _lapsed_quiet(day: dt.date, customer_ids: Sequence[int]) -> set[int]:
    """Customers given up on (a lapsed warning) who have not bought since that
    warning opened: no new warning until they do."""
    bought = snapshot_rows(as_of=day).filter(
        customer_id=OuterRef("customer_id"), last_purchase__gt=OuterRef("opened_as_of")
    )
    lapsed = ChurnWarning.objects.filter(status=WarningStatus.LAPSED).exclude(
        Exists(bought)
    )
    return {row[0] for row in _rows_of(lapsed, customer_ids, "customer_id")}


def _fire(day: dt.date, limits: Thresholds, *, since: dt.date | None) -> Fired:
    """Every customer a signal fires for as of ``day``, with its details."""
    fired: Fired = {}

    def add(customer_id: int, signal: Signal, details: dict[str, Any]) -> None:
        fired.setdefault(customer_id, {})[signal.value] = details

    rows = (
        snapshot_rows(as_of=day)
        .annotate(
            lim_days=limits.expr("no_purchase_days"),
            lim_k=limits.expr("rhythm_factor"),
            lim_p=limits.expr("p_alive_below"),
            lim_risk=limits.expr("churn_risk_from"),
        )
        .annotate(
            rhythm_limit=ExpressionWrapper(
                F("mean_gap_days") * F("lim_k"), output_field=FloatField()
            )
        )
        .filter(
            Q(days_since_last_purchase__gte=F("lim_days"))
            | Q(mean_gap_days__gt=0, days_since_last_purchase__gt=F("rhythm_limit"))
            | Q(p_alive__lt=F("lim_p"))
            | Q(churn_risk__gte=F("lim_risk"))
        )
        .values_list(
            "customer_id",
            "days_since_last_purchase",
            "mean_gap_days",
            "p_alive",
            "churn_risk",
            "lim_days",
            "lim_k",
            "lim_p",
            "lim_risk",
        )
        .order_by()
    )
    for customer_id, days, gap, p_alive, risk, n, k, p, r in rows.iterator(
        chunk_size=_CHUNK
    ):
        if days is not None and days >= n:
            add(customer_id, Signal.NO_PURCHASE, {"days": days})
        if days is not None and gap and days > gap * k:
            add(
                customer_id,
                Signal.PAST_RHYTHM,
                {"days": days, "gap": round(gap, 1), "k": float(k)},
            )
        if p_alive is not None and p_alive < p:
            add(customer_id, Signal.LOW_P_ALIVE, {"p_alive": round(p_alive, 4)})
        if risk is not None and risk >= r:
            add(customer_id, Signal.CHURN_RISK, {"risk": round(risk, 4)})
    end = _start_of(day + dt.timedelta(days=1))
    _fire_quiet(day, limits, end=end, add=add)
    _fire_drop(day, limits, end=end, add=add)
    _fire_complaints(day, limits, end=end, add=add, scores_day=day)
    _fire_feedback(day, limits, since=since, end=end, add=add, scores_day=day)
    return fired


def _with_quadrant(
    rows: QuerySet[Any], limits: Thresholds, scores_day: dt.date, *fields: str
) -> QuerySet[Any]:
    """Grouped interaction rows with the customer's quadrant when one of
    ``fields`` differs by quadrant (else the global thresholds apply and the
    join is left out)."""
    if limits.split(*fields):
        annotated: QuerySet[Any] = rows.annotate(quadrant=_quadrant_of(scores_day))
        return annotated
    return rows


def _fire_quiet(
    day: dt.date, limits: Thresholds, *, end: dt.datetime, add: Any
) -> None:
    """Quiet: the last activity is ``quiet_days`` or more before the end of the
    day, and within the active window before that (read over the widest window
    of any quadrant, each customer held to their own)."""

    def quiet_start(quiet: int) -> dt.datetime:
        return _start_of(day - dt.timedelta(days=quiet - 1))

    widest = max(
        q + a
        for q in limits.values("quiet_days")
        for a in limits.values("active_window_days")
    )
    window = (
        interaction_rows()
        .filter(
            kind__in=ACTIVITY_KINDS,
            occurred_at__gte=_start_of(day - dt.timedelta(days=widest - 1)),
            occurred_at__lt=end,
        )
        .values("customer_id")
        .annotate(last=Max("occurred_at"))
    )
    window = _with_quadrant(window, limits, day, "quiet_days", "active_window_days")
    moment = DateTimeField()
    quiet = window.filter(
        last__lt=limits.expr("quiet_days", shift=quiet_start, output=moment)
    )
    if limits.split("quiet_days", "active_window_days"):
        starts = _pairs_expr(limits, day)
        quiet = quiet.filter(last__gte=starts)
    else:
        quiet = quiet.filter(
            last__gte=quiet_start(
                limits.config.quiet_days + limits.config.active_window_days
            )
        )
    for customer_id, last in (
        quiet.values_list("customer_id", "last").order_by().iterator(chunk_size=_CHUNK)
    ):
        days = (day - timezone.localtime(last).date()).days
        add(customer_id, Signal.QUIET, {"days": days})


def _pairs_expr(limits: Thresholds, day: dt.date) -> Any:
    """Each quadrant's start of the active window (quiet + active days back)."""
    moment = DateTimeField()

    def start(quadrant: str | None) -> Value:
        days = limits.get("quiet_days", quadrant) + limits.get(
            "active_window_days", quadrant
        )
        return Value(_start_of(day - dt.timedelta(days=days - 1)), output_field=moment)

    quadrants = set(limits.overrides.get("quiet_days", {})) | set(
        limits.overrides.get("active_window_days", {})
    )
    return Case(
        *[When(quadrant=q, then=start(q)) for q in sorted(quadrants)],
        default=start(None),
        output_field=moment,
    )


def _fire_drop(day: dt.date, limits: Thresholds, *, end: dt.datetime, add: Any) -> None:
    """Week-on-week: customers active in the 7 days before this week whose
    activity in this week (the 7 days ending with ``day``) is below
    ``drop_ratio`` × last week's."""
    this_start = _start_of(day - dt.timedelta(days=6))
    rows = (
        interaction_rows()
        .filter(
            kind__in=ACTIVITY_KINDS,
            occurred_at__gte=_start_of(day - dt.timedelta(days=13)),
            occurred_at__lt=end,
        )
        .values("customer_id")
        .annotate(
            last_week=Count("id", filter=Q(occurred_at__lt=this_start)),
            this_week=Count("id", filter=Q(occurred_at__gte=this_start)),
        )
    )
    rows = _with_quadrant(rows, limits, day, "drop_ratio")
    dropped = (
        rows.annotate(
            limit=ExpressionWrapper(
                F("last_week") * limits.expr("drop_ratio"), output_field=FloatField()
            )
        )
        .filter(last_week__gt=0, this_week__lt=F("limit"))
        .values_list("customer_id", "this_week", "last_week")
        .order_by()
    )
    for customer_id, this_week, last_week in dropped.iterator(chunk_size=_CHUNK):
        add(
            customer_id,
            Signal.ACTIVITY_DROP,
            {"this_week": this_week, "last_week": last_week},
        )


def _fire_complaints(
    day: dt.date,
    limits: Thresholds,
    *,
    end: dt.datetime,
    add: Any,
    scores_day: dt.date,
    ids: Sequence[int] | None = None,
) -> None:
    """More complaints in the calendar month so far than the threshold."""
    month_start = day.replace(day=1)
    rows = interaction_rows().filter(
        kind=InteractionKind.COMPLAINT,
        occurred_at__gte=_start_of(month_start),
        occurred_at__lt=end,
    )
    if ids is not None:
        rows = rows.filter(customer_id__in=ids)
    counted = rows.values("customer_id").annotate(n=Count("id"))
    counted = _with_quadrant(counted, limits, scores_day, "complaints_per_month_above")
    complaints = (
        counted.filter(n__gt=limits.expr("complaints_per_month_above"))
        .values_list("customer_id", "n")
        .order_by()
    )
    for customer_id, count in complaints.iterator(chunk_size=_CHUNK):
        add(
            customer_id,
            Signal.COMPLAINTS,
            {"count": count, "month": f"{month_start:%Y-%m}"},
        )


def _fire_feedback(
    day: dt.date,
    limits: Thresholds,
    *,
    since: dt.date | None,
    end: dt.datetime,
    add: Any,
    scores_day: dt.date,
    ids: Sequence[int] | None = None,
) -> None:
    """Negative texts written since the previous evaluation (the strongest per
    customer), read by ``guanxi.analytics.sentiment``; each customer held to
    their quadrant's threshold."""
    first = (
        since + dt.timedelta(days=1)
        if since is not None
        else day - dt.timedelta(days=FIRST_FEEDBACK_DAYS - 1)
    )
    written = interaction_rows().filter(
        kind__in=FEEDBACK_KINDS,
        occurred_at__gte=_start_of(first),
        occurred_at__lt=end,
    )
    if ids is not None:
        written = written.filter(customer_id__in=ids)
    texts = (
        written.exclude(note__isnull=True)  # encrypted: empty is NULL
        .values_list("pk", "customer_id", "note")
        .order_by("pk")
    )
    lowest = min(limits.values("negative_from"))
    strongest: dict[int, tuple[float, int]] = {}
    batch: list[tuple[int, int, str]] = []

    def score() -> None:
        found = sentiment_of([note for _pk, _c, note in batch])
        for (pk, customer_id, _note), sentiment in zip(batch, found, strict=True):
            p = sentiment.negative_probability
            if p >= lowest and p > strongest.get(customer_id, (-1.0, 0))[0]:
                strongest[customer_id] = (p, pk)
        batch.clear()

    for row in texts.iterator(chunk_size=_CHUNK):
        batch.append(row)
        if len(batch) >= _CHUNK:
            score()
    if batch:
        score()
    quadrants: dict[int, str] = {}
    if limits.split("negative_from"):
        for chunk in _chunks(sorted(strongest)):
            quadrants.update(
                snapshot_rows(as_of=scores_day)
                .filter(customer_id__in=chunk)
                .values_list("customer_id", "quadrant")
                .order_by()
            )
    for customer_id, (p, pk) in strongest.items():
        if p < limits.get("negative_from", quadrants.get(customer_id)):
            continue
        add(
            customer_id,
            Signal.NEGATIVE_FEEDBACK,
            {"negative_probability": p, "interaction": pk},
        )


def _apply(
    day: dt.date, fired: Fired, config: CareSettings, *, scores_day: dt.date
) -> tuple[int, int]:
    """Open a warning (and its task) for each newly warned customer; add new
    signals to open warnings. The counts (opened, updated)."""
    stamp = day.isoformat()
    ids = sorted(fired)
    given_up = _lapsed_quiet(scores_day, ids)
    current: dict[int, tuple[int, dict[str, Any]]] = {
        customer_id: (pk, signals)
        for customer_id, pk, signals in _rows_of(
            ChurnWarning.objects.filter(status=WarningStatus.OPEN),
            ids,
            "customer_id",
            "pk",
            "signals",
        )
    }
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
    _open_tasks(day, new, config, now, scores_day=scores_day)
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
    "remedy", "created_at", "step",
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
    day: dt.date,
    warnings: list[_NewWarning],
    config: CareSettings,
    now: dt.datetime,
    *,
    scores_day: dt.date,
) -> None:
    """One task per new warning: the account manager's, else the service
    team's in turn; priority from value and risk; remedy from value and
    reason."""
    if not warnings:
        return
    ids = [w.customer_id for w in warnings]
    managers: dict[int, int | None] = {}
    scores: dict[int, tuple[str, float | None]] = {}
    managers.update(_rows_of(customer_rows(), ids, "pk", "assigned_manager_id"))
    for customer_id, quadrant, risk in _rows_of(
        snapshot_rows(as_of=scores_day), ids, "customer_id", "quadrant", "churn_risk"
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
                remedy.value, moment, 1,
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
