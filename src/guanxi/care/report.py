"""The win-back report: of the warnings opened in a date range, how many were
contacted and how many came back within N days, by signal, reason for
leaving, remedy offered, value quadrant, segment and person; the median time
to the first contact. A segment may also narrow the whole report to its
members.

Segments are read as they are now (their members by the latest scores), not
as they were when a warning opened; the quadrant is the one of the run that
opened the warning.

Scoped like everything else (an account manager counts only their own
customers' warnings). Every figure is counted in the database: a handful of
grouped queries whatever the number of warnings; the median is read with two
ordered single-row queries, not by loading the durations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for, scope_for
from guanxi.care.choices import (
    LeaveReason,
    Outcome,
    Remedy,
    Signal,
    TaskStatus,
    WarningStatus,
)
from guanxi.care.models import CareTask, ChurnWarning
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.insights.choices import Quadrant
from guanxi.insights.selectors import snapshot_rows
from guanxi.segments.selectors import segment_get, segment_list, segment_members

__all__ = [
    "DEFAULT_DAYS",
    "ReportFilter",
    "WinBackReport",
    "report_filter",
    "winback_report",
]

#: The range shown when none is given: the last 30 days.
DEFAULT_DAYS = 30
#: "Won back within N days" when not given.
DEFAULT_WITHIN = 30
MAX_WITHIN = 365
#: The report's "by segment" table covers at most this many segments (the
#: first saved; bounded work per request). Any one segment can be chosen.
SEGMENT_ROWS = 12


@dataclass(frozen=True)
class ReportFilter:
    start: dt.date
    end: dt.date
    within: int
    #: Only this segment's members (a Segment), or everyone in scope.
    segment: Any = None


@dataclass
class WinBackReport:
    filter: ReportFilter
    opened: int = 0
    contacted: int = 0
    reached: int = 0
    won_back: int = 0
    lapsed: int = 0
    median_hours: float | None = None
    by_signal: list[dict[str, Any]] = field(default_factory=list)
    by_quadrant: list[dict[str, Any]] = field(default_factory=list)
    by_reason: list[dict[str, Any]] = field(default_factory=list)
    by_remedy: list[dict[str, Any]] = field(default_factory=list)
    by_person: list[dict[str, Any]] = field(default_factory=list)
    by_segment: list[dict[str, Any]] = field(default_factory=list)

    def rate(self, part: int) -> float:
        return round(100.0 * part / self.opened, 1) if self.opened else 0.0


def _date(value: str, default: dt.date) -> dt.date:
    text = value.strip()
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(_("Enter dates as YYYY-MM-DD."), field="start") from None


def report_filter(params: Any, *, today: dt.date) -> ReportFilter:
    """The range and N from the query string; a clear message when bad."""
    end = _date(str(params.get("end", "") or ""), today)
    start = _date(
        str(params.get("start", "") or ""), end - dt.timedelta(days=DEFAULT_DAYS - 1)
    )
    if start > end:
        raise ValidationFailed(
            _("The start date is after the end date."), field="start"
        )
    raw = str(params.get("within", "") or "").strip()
    within = DEFAULT_WITHIN
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_WITHIN:
            raise ValidationFailed(
                _("Won back within: a number of days from 1 to %(max)d.")
                % {"max": MAX_WITHIN},
                field="within",
            )
        within = int(raw)
    segment = None
    chosen = str(params.get("segment", "") or "").strip()
    if chosen:
        try:
            segment = segment_get(pk=chosen)
        except NotFound:
            raise ValidationFailed(
                _("Choose a segment from the list."), field="segment"
            ) from None
    return ReportFilter(start=start, end=end, within=within, segment=segment)


def _warnings(actor: Any, flt: ReportFilter) -> QuerySet[ChurnWarning]:
    if not policy_for(actor).active:
        return ChurnWarning.objects.none()
    rows = scope_for(actor).apply(ChurnWarning.objects.all(), via="customer")
    rows = rows.filter(opened_as_of__gte=flt.start, opened_as_of__lte=flt.end)
    if flt.segment is not None:
        rows = rows.filter(_member_of(actor, flt.segment))
    return rows


def _member_of(actor: Any, segment: Any) -> Exists:
    """The warning's customer is in ``segment`` now: probed per warning (the
    warnings of a range are far fewer than a segment's members). Raises
    ``ValidationFailed`` naming the rule when the segment cannot run."""
    members = segment_members(actor=actor, rules=segment.rules)
    return Exists(members.filter(pk=OuterRef("customer_id")))


def _won_days() -> Any:
    return ExpressionWrapper(
        TruncDate("closed_at") - F("opened_as_of"), output_field=DurationField()
    )


def winback_report(*, actor: Any, flt: ReportFilter) -> WinBackReport:
    """Every figure of the report for ``actor``'s scope and ``flt``."""
    report = WinBackReport(filter=flt)
    warnings = _warnings(actor, flt).annotate(won_days=_won_days())
    won = Q(status=WarningStatus.WON_BACK, won_days__lte=dt.timedelta(days=flt.within))
    totals = warnings.aggregate(
        opened=Count("pk", distinct=True),
        contacted=Count("pk", filter=Q(tasks__status=TaskStatus.DONE), distinct=True),
        reached=Count("pk", filter=Q(tasks__outcome=Outcome.REACHED), distinct=True),
        won_back=Count("pk", filter=won, distinct=True),
        lapsed=Count("pk", filter=Q(status=WarningStatus.LAPSED), distinct=True),
        **{
            f"signal_{s.value}": Count(
                "pk", filter=Q(signals__has_key=s.value), distinct=True
            )
            for s in Signal
        },
        **{
            f"signal_{s.value}_contacted": Count(
                "pk",
                filter=Q(signals__has_key=s.value, tasks__status=TaskStatus.DONE),
                distinct=True,
            )
            for s in Signal
        },
        **{
            f"signal_{s.value}_won": Count(
                "pk", filter=Q(signals__has_key=s.value) & won, distinct=True
            )
            for s in Signal
        },
    )
    report.opened = totals["opened"]
    report.contacted = totals["contacted"]
    report.reached = totals["reached"]
    report.won_back = totals["won_back"]
    report.lapsed = totals["lapsed"]
    report.by_signal = [
        _row(
            s.label,
            totals[f"signal_{s.value}"],
            totals[f"signal_{s.value}_contacted"],
            None,
            totals[f"signal_{s.value}_won"],
        )
        for s in Signal
        if totals[f"signal_{s.value}"]
    ]
    report.median_hours = _median_hours(warnings)
    report.by_quadrant = _by_quadrant(warnings, won)
    tasks = CareTask.objects.filter(warning__in=warnings.values("pk")).annotate(
        won_days=ExpressionWrapper(
            TruncDate("warning__closed_at") - F("warning__opened_as_of"),
            output_field=DurationField(),
        )
    )
    task_won = Q(
        warning__status=WarningStatus.WON_BACK,
        won_days__lte=dt.timedelta(days=flt.within),
    )
    report.by_reason = _by_task_field(
        tasks.filter(status=TaskStatus.DONE), "leave_reason", LeaveReason, task_won
    )
    report.by_remedy = _by_task_field(
        tasks.filter(status=TaskStatus.DONE), "remedy_offered", Remedy, task_won
    )
    report.by_person = _by_person(tasks, task_won)
    report.by_segment = _by_segment(actor, warnings, won)
    return report


def _by_segment(
    actor: Any, warnings: QuerySet[ChurnWarning], won: Q
) -> list[dict[str, Any]]:
    """One row per saved segment (the first :data:`SEGMENT_ROWS`) with
    warnings of its members; a customer in several segments counts in each.
    A segment whose rules no longer run is left out."""
    rows = []
    for segment in segment_list()[:SEGMENT_ROWS]:
        try:
            member = _member_of(actor, segment)
        except ValidationFailed:
            continue
        counts = warnings.filter(member).aggregate(
            n=Count("pk", distinct=True),
            contacted=Count(
                "pk", filter=Q(tasks__status=TaskStatus.DONE), distinct=True
            ),
            won=Count("pk", filter=won, distinct=True),
        )
        if counts["n"]:
            rows.append(
                _row(
                    segment.name, counts["n"], counts["contacted"], None, counts["won"]
                )
            )
    return rows


def _row(
    label: Any, n: int, contacted: int, reached: int | None, won: int
) -> dict[str, Any]:
    return {
        "label": str(label),
        "n": n,
        "contacted": contacted,
        "reached": reached,
        "won": won,
        "won_rate": round(100.0 * won / n, 1) if n else 0.0,
    }


def _median_hours(warnings: QuerySet[ChurnWarning]) -> float | None:
    """The median time from a warning opening to its first closed task."""
    timed = (
        warnings.annotate(
            first=Min("tasks__closed_at", filter=Q(tasks__status=TaskStatus.DONE))
        )
        .filter(first__isnull=False)
        .annotate(
            wait=ExpressionWrapper(
                F("first") - F("opened_at"), output_field=DurationField()
            )
        )
        .order_by("wait", "pk")
        .values_list("wait", flat=True)
    )
    n = timed.count()
    if not n:
        return None
    middle = [timed[(n - 1) // 2], timed[n // 2]]
    seconds = sum(cast(dt.timedelta, w).total_seconds() for w in middle) / 2
    return round(seconds / 3600, 1)


def _by_quadrant(warnings: QuerySet[ChurnWarning], won: Q) -> list[dict[str, Any]]:
    """By the customer's value quadrant in the run that opened the warning."""
    quadrant = Subquery(
        snapshot_rows(as_of=cast(dt.date, OuterRef("opened_as_of")))
        .filter(customer_id=OuterRef("customer_id"))
        .values("quadrant")[:1]
    )
    rows = (
        warnings.annotate(quadrant=quadrant)
        .values("quadrant")
        .annotate(
            n=Count("pk", distinct=True),
            contacted=Count(
                "pk", filter=Q(tasks__status=TaskStatus.DONE), distinct=True
            ),
            won=Count("pk", filter=won, distinct=True),
        )
        .order_by()
    )
    found = {r["quadrant"] or "": r for r in rows}
    labels = [(q.value, q.label) for q in Quadrant] + [("", _("Not scored"))]
    return [
        _row(label, found[key]["n"], found[key]["contacted"], None, found[key]["won"])
        for key, label in labels
        if key in found
    ]


def _by_task_field(
    tasks: QuerySet[CareTask], name: str, choices: Any, won: Q
) -> list[dict[str, Any]]:
    rows = (
        tasks.values(name)
        .annotate(
            n=Count("warning", distinct=True),
            won=Count("warning", filter=won, distinct=True),
        )
        .order_by()
    )
    found = {r[name]: r for r in rows}
    labels = [(c.value, c.label) for c in choices] + [("", _("Not given"))]
    return [
        _row(label, found[key]["n"], found[key]["n"], None, found[key]["won"])
        for key, label in labels
        if key in found
    ]


def _by_person(tasks: QuerySet[CareTask], won: Q) -> list[dict[str, Any]]:
    rows = (
        tasks.values("owner__username")
        .annotate(
            n=Count("warning", distinct=True),
            contacted=Count("warning", filter=Q(status=TaskStatus.DONE), distinct=True),
            reached=Count("warning", filter=Q(outcome=Outcome.REACHED), distinct=True),
            won=Count("warning", filter=won, distinct=True),
        )
        .order_by("owner__username")
    )
    return [
        _row(
            r["owner__username"] or _("Nobody"),
            r["n"],
            r["contacted"],
            r["reached"],
            r["won"],
        )
        for r in rows
    ]
