"""The warning signals as of a date: each one query over the scoring run's
snapshots or over the interactions (grouped in the database), as querysets
(``*_found``). A daily evaluation writes what they find set-based
(:mod:`guanxi.care.opening`); events read complaints and feedback into
Python (``fire_*``), the customers a signal fires for with its details.
The tests' row-by-row reference reads every signal that way
(``care/tests/reference.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from guanxi.analytics.sentiment import sentiment_of
from guanxi.care.batches import CHUNK, chunks
from guanxi.care.choices import Signal, WarningStatus
from guanxi.care.models import ChurnWarning
from guanxi.care.thresholds import Thresholds
from guanxi.customers.choices import InteractionKind
from guanxi.customers.selectors import interaction_rows
from guanxi.insights.selectors import snapshot_rows

__all__ = [
    "ACTIVITY_KINDS",
    "FEEDBACK_KINDS",
    "Fired",
    "fire_complaints",
    "fire_feedback",
    "start_of",
]

Fired = dict[int, dict[str, dict[str, Any]]]
_NO_PURCHASE = Signal.NO_PURCHASE.value
_PAST_RHYTHM = Signal.PAST_RHYTHM.value
_LOW_P_ALIVE = Signal.LOW_P_ALIVE.value

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


def _quadrant_of(scores_day: dt.date) -> Any:
    """The customer's quadrant in the scoring run of ``scores_day`` (a
    subquery on ``customer_id``)."""
    rows = snapshot_rows(as_of=scores_day).filter(customer_id=OuterRef("customer_id"))
    return Subquery(rows.values("quadrant")[:1])


def start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def news(signal: Signal) -> Q:
    """Not already on the customer's open warning: a signal the warning has
    is left out in the query (the writing would skip it), so an evaluation
    that finds nothing new reads nothing back."""
    known = ChurnWarning.objects.filter(
        status=WarningStatus.OPEN,
        customer_id=OuterRef("customer_id"),
        signals__has_key=signal.value,
    )
    return ~Q(Exists(known))


def snapshot_found(
    day: dt.date, limits: Thresholds
) -> list[tuple[Signal, QuerySet[Any], list[str]]]:
    """The snapshot signals' queries: the snapshots each fires for whose
    customer's open warning lacks it, with the columns of its details."""
    rows = snapshot_rows(as_of=day).annotate(
        lim_days=limits.expr("no_purchase_days"),
        lim_k=limits.expr("rhythm_factor"),
        lim_p=limits.expr("p_alive_below"),
        lim_risk=limits.expr("churn_risk_from"),
    )
    rhythm = rows.annotate(
        rhythm_limit=ExpressionWrapper(
            F("mean_gap_days") * F("lim_k"), output_field=FloatField()
        )
    )
    days = "days_since_last_purchase"
    found: list[tuple[Signal, QuerySet[Any], list[str]]] = [
        (
            Signal.NO_PURCHASE,
            rows.filter(days_since_last_purchase__gte=F("lim_days")),
            [days, "lim_days"],
        ),
        (
            Signal.PAST_RHYTHM,
            rhythm.filter(
                mean_gap_days__gt=0, days_since_last_purchase__gt=F("rhythm_limit")
            ),
            [days, "mean_gap_days", "lim_k"],
        ),
        (Signal.LOW_P_ALIVE, rows.filter(p_alive__lt=F("lim_p")), ["p_alive", "lim_p"]),
        (
            Signal.CHURN_RISK,
            rows.filter(churn_risk__gte=F("lim_risk")),
            ["churn_risk", "lim_risk"],
        ),
    ]
    return [(signal, query.filter(news(signal)), f) for signal, query, f in found]


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


def quiet_found(day: dt.date, limits: Thresholds, *, end: dt.datetime) -> Any:
    """Quiet: the last activity is ``quiet_days`` or more before the end of the
    day, and within the active window before that (read over the widest window
    of any quadrant, each customer held to their own). Grouped rows with the
    customer and ``last``."""

    def quiet_start(quiet: int) -> dt.datetime:
        return start_of(day - dt.timedelta(days=quiet - 1))

    window = (
        interaction_rows()
        .filter(
            kind__in=ACTIVITY_KINDS,
            occurred_at__gte=start_of(
                day - dt.timedelta(days=quiet_widest(limits) - 1)
            ),
            occurred_at__lt=end,
        )
        .filter(news(Signal.QUIET))
        .values("customer_id")
        .annotate(last=Max("occurred_at"))
    )
    window = _with_quadrant(window, limits, day, "quiet_days", "active_window_days")
    moment = DateTimeField()
    quiet = window.filter(
        last__lt=limits.expr("quiet_days", shift=quiet_start, output=moment)
    )
    if limits.split("quiet_days", "active_window_days"):
        return quiet.filter(last__gte=_pairs_expr(limits, day))
    return quiet.filter(
        last__gte=quiet_start(
            limits.config.quiet_days + limits.config.active_window_days
        )
    )


def quiet_widest(limits: Thresholds) -> int:
    """The widest window of quiet and active days of any quadrant."""
    return max(
        int(q + a)
        for q in limits.values("quiet_days")
        for a in limits.values("active_window_days")
    )


def _pairs_expr(limits: Thresholds, day: dt.date) -> Any:
    """Each quadrant's start of the active window (quiet + active days back)."""
    moment = DateTimeField()

    def start(quadrant: str | None) -> Value:
        days = limits.get("quiet_days", quadrant) + limits.get(
            "active_window_days", quadrant
        )
        return Value(start_of(day - dt.timedelta(days=days - 1)), output_field=moment)

    quadrants = set(limits.overrides.get("quiet_days", {})) | set(
        limits.overrides.get("active_window_days", {})
    )
    return Case(
        *[When(quadrant=q, then=start(q)) for q in sorted(quadrants)],
        default=start(None),
        output_field=moment,
    )


def drop_found(day: dt.date, limits: Thresholds, *, end: dt.datetime) -> Any:
    """Week-on-week: customers active in the 7 days before this week whose
    activity in this week (the 7 days ending with ``day``) is below
    ``drop_ratio`` × last week's: the customer, this week's and last week's
    count."""
    this_start = start_of(day - dt.timedelta(days=6))
    rows = (
        interaction_rows()
        .filter(
            kind__in=ACTIVITY_KINDS,
            occurred_at__gte=start_of(day - dt.timedelta(days=13)),
            occurred_at__lt=end,
        )
        .filter(news(Signal.ACTIVITY_DROP))
        .values("customer_id")
        .annotate(
            last_week=Count("id", filter=Q(occurred_at__lt=this_start)),
            this_week=Count("id", filter=Q(occurred_at__gte=this_start)),
        )
    )
    rows = _with_quadrant(rows, limits, day, "drop_ratio")
    return (
        rows.annotate(
            limit=ExpressionWrapper(
                F("last_week") * limits.expr("drop_ratio"), output_field=FloatField()
            )
        )
        .filter(last_week__gt=0, this_week__lt=F("limit"))
        .values_list("customer_id", "this_week", "last_week")
        .order_by()
    )


def complaints_found(
    day: dt.date,
    limits: Thresholds,
    *,
    end: dt.datetime,
    scores_day: dt.date,
    ids: Sequence[int] | None = None,
) -> Any:
    """More complaints in the calendar month so far than the threshold: the
    customer and the count."""
    rows = interaction_rows().filter(
        kind=InteractionKind.COMPLAINT,
        occurred_at__gte=start_of(day.replace(day=1)),
        occurred_at__lt=end,
    )
    if ids is not None:
        rows = rows.filter(customer_id__in=ids)
    rows = rows.filter(news(Signal.COMPLAINTS))
    counted = rows.values("customer_id").annotate(n=Count("id"))
    counted = _with_quadrant(counted, limits, scores_day, "complaints_per_month_above")
    return (
        counted.filter(n__gt=limits.expr("complaints_per_month_above"))
        .values_list("customer_id", "n")
        .order_by()
    )


def fire_complaints(
    day: dt.date,
    limits: Thresholds,
    *,
    end: dt.datetime,
    add: Any,
    scores_day: dt.date,
    ids: Sequence[int] | None = None,
) -> None:
    """More complaints in the calendar month so far than the threshold."""
    month = f"{day:%Y-%m}"
    complaints = complaints_found(day, limits, end=end, scores_day=scores_day, ids=ids)
    for customer_id, count in complaints.iterator(chunk_size=CHUNK):
        add(customer_id, Signal.COMPLAINTS, {"count": count, "month": month})


def fire_feedback(
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
    for customer_id, details in feedback_found(
        day, limits, since=since, end=end, scores_day=scores_day, ids=ids
    ):
        add(customer_id, Signal.NEGATIVE_FEEDBACK, details)


def feedback_found(
    day: dt.date,
    limits: Thresholds,
    *,
    since: dt.date | None,
    end: dt.datetime,
    scores_day: dt.date,
    ids: Sequence[int] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """The negative texts' customers and details (texts are few: read and
    scored in Python)."""
    first = (
        since + dt.timedelta(days=1)
        if since is not None
        else day - dt.timedelta(days=FIRST_FEEDBACK_DAYS - 1)
    )
    written = interaction_rows().filter(
        kind__in=FEEDBACK_KINDS,
        occurred_at__gte=start_of(first),
        occurred_at__lt=end,
    )
    if ids is not None:
        written = written.filter(customer_id__in=ids)
    written = written.filter(news(Signal.NEGATIVE_FEEDBACK))
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

    for row in texts.iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) >= CHUNK:
            score()
    if batch:
        score()
    quadrants: dict[int, str] = {}
    if limits.split("negative_from"):
        for chunk in chunks(sorted(strongest)):
            quadrants.update(
                snapshot_rows(as_of=scores_day)
                .filter(customer_id__in=chunk)
                .values_list("customer_id", "quadrant")
                .order_by()
            )
    return [
        (customer_id, {"negative_probability": p, "interaction": pk})
        for customer_id, (p, pk) in strongest.items()
        if p >= limits.get("negative_from", quadrants.get(customer_id))
    ]
