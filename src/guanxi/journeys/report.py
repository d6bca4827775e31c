"""A journey's effect: per journey and per step, who entered, what the
messages did, who bought within N days and for how much, coupons redeemed,
and the lift against the holdout group (``guanxi.analytics.lift``).

Every figure is counted in the database (grouped queries over the
enrolments of the period, orders through ``commerce.selectors.purchase_rows``,
messages through ``messaging.selectors.audience_figures``), so the work per
report does not grow with the rows read into Python.

Definitions (docs/journeys.md, "Effect"):

- the **unit** is an enrolment: a customer who entered twice counts twice;
- an enrolment **converted** when its customer made a purchase (an order not
  cancelled or refunded) in ``[entered, entered + N days)``; its **revenue**
  is the sum of those orders. Per step the window starts when the step ran;
- enrolments whose window has not ended yet count what was bought so far (in
  both groups alike, so the comparison stays fair);
- **treated** are the enrolments not held out, **holdout** those held out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.analytics.lift import (
    MIN_GROUP,
    Difference,
    GroupSums,
    conversion_lift,
    revenue_lift,
)
from guanxi.commerce.selectors import purchase_rows
from guanxi.core.errors import ValidationFailed
from guanxi.coupons.choices import journey_source
from guanxi.coupons.selectors import issued_coupon_list
from guanxi.customers.selectors import customer_scope
from guanxi.journeys.engine import definition_load
from guanxi.journeys.models import Enrolment, Journey, StepRun
from guanxi.messaging.selectors import audience_figures

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "MAX_RANGE_DAYS",
    "MIN_GROUP",
    "JourneyReport",
    "ReportFilter",
    "StepFigures",
    "journey_report",
    "report_filter",
]

#: The conversion window's default length, in days, and its bounds.
DEFAULT_DAYS = 30
MAX_DAYS = 365
#: The longest period a report covers (entry dates).
MAX_RANGE_DAYS = 731
#: Periods up to this many days are charted by day, longer ones by week.
DAILY_UP_TO = 92

MESSAGE_FIGURES = ("sent", "delivered", "opened", "clicked", "unsubscribed")
_MONEY = DecimalField(max_digits=18, decimal_places=2)


@dataclass(frozen=True)
class StepFigures:
    """One step of the current version: who reached it, what its messages
    did, who bought within N days after it ran."""

    id: str
    type: str
    entered: int
    ran: int
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    converted: int = 0
    revenue: Decimal = Decimal(0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "entered": self.entered,
            "ran": self.ran,
            "sent": self.sent,
            "delivered": self.delivered,
            "opened": self.opened,
            "clicked": self.clicked,
            "unsubscribed": self.unsubscribed,
            "converted": self.converted,
            "revenue": str(self.revenue),
        }


@dataclass(frozen=True)
class SeriesPoint:
    """Entries of one day (or week) and how many of them converted."""

    start: dt.date
    treated: int
    treated_converted: int
    holdout: int
    holdout_converted: int


@dataclass(frozen=True)
class JourneyReport:
    slug: str
    start: dt.date
    end: dt.date
    days: int
    treated: GroupSums
    holdout: GroupSums
    conversion: Difference
    revenue_per_customer: Difference
    coupons_issued: int
    coupons_redeemed: int
    steps: list[StepFigures] = field(default_factory=list)
    series: list[SeriesPoint] = field(default_factory=list)
    by_week: bool = False

    @property
    def entered(self) -> int:
        return self.treated.n + self.holdout.n

    @property
    def converted(self) -> int:
        return self.treated.converted + self.holdout.converted

    @property
    def revenue(self) -> Decimal:
        return Decimal(str(self.treated.revenue + self.holdout.revenue)).quantize(
            Decimal("0.01")
        )

    def total(self, name: str) -> int:
        """A message figure summed over the steps."""
        return sum(int(getattr(s, name)) for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        def group(g: GroupSums) -> dict[str, Any]:
            return {
                "n": g.n,
                "converted": g.converted,
                "conversion_rate": g.rate,
                "revenue": f"{g.revenue:.2f}",
                "revenue_per_customer": g.mean,
            }

        return {
            "journey": self.slug,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
            "min_group": MIN_GROUP,
            "entered": self.entered,
            "converted": self.converted,
            "revenue": str(self.revenue),
            **{name: self.total(name) for name in MESSAGE_FIGURES},
            "coupons_issued": self.coupons_issued,
            "coupons_redeemed": self.coupons_redeemed,
            "treated": group(self.treated),
            "holdout": group(self.holdout),
            "conversion_lift": self.conversion.as_dict(),
            "revenue_lift": self.revenue_per_customer.as_dict(),
            "steps": [s.as_dict() for s in self.steps],
            "series": [
                {
                    "start": p.start.isoformat(),
                    "treated": p.treated,
                    "treated_converted": p.treated_converted,
                    "holdout": p.holdout,
                    "holdout_converted": p.holdout_converted,
                }
                for p in self.series
            ],
        }


def _window(customer: str, since: str, days: int) -> QuerySet[Any]:
    """Purchases of the outer row's customer in ``[since, since + days)``."""
    return purchase_rows().filter(
        customer_id=OuterRef(customer),
        ordered_at__gte=OuterRef(since),
        ordered_at__lt=ExpressionWrapper(
            OuterRef(since) + dt.timedelta(days=days), output_field=DateTimeField()
        ),
    )


def _bought(customer: str, since: str, days: int) -> tuple[Exists, Coalesce]:
    orders = _window(customer, since, days)
    spent = Subquery(
        orders.order_by()
        .values("customer_id")
        .annotate(s=Sum("amount"))
        .values("s")[:1],
        output_field=_MONEY,
    )
    return Exists(orders), Coalesce(spent, Value(Decimal(0)), output_field=_MONEY)


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


def _group(row: Any) -> GroupSums:
    if row is None:
        return GroupSums(0, 0, 0.0, 0.0)
    return GroupSums(
        n=int(row["n"]),
        converted=int(row["converted"]),
        revenue=float(row["revenue"] or 0),
        revenue_squares=float(row["squares"] or 0),
    )


def _groups(enrolments: QuerySet[Enrolment], days: int) -> dict[bool, GroupSums]:
    converted, spent = _bought("customer_id", "entered_at", days)
    rows = (
        enrolments.annotate(bought=converted, spent=spent)
        .order_by()
        .values("holdout")
        .annotate(
            n=Count("pk"),
            converted=Count("pk", filter=Q(bought=True)),
            revenue=Sum("spent"),
            squares=Sum(F("spent") * F("spent"), output_field=_MONEY),
        )
    )
    by = {bool(r["holdout"]): r for r in rows}
    return {flag: _group(by.get(flag)) for flag in (False, True)}


def _series(
    enrolments: QuerySet[Enrolment], days: int, weekly: bool
) -> list[SeriesPoint]:
    converted, _spent = _bought("customer_id", "entered_at", days)
    bucket = TruncWeek("entered_at") if weekly else TruncDate("entered_at")
    rows = (
        enrolments.annotate(bought=converted, bucket=bucket)
        .order_by()
        .values("bucket", "holdout")
        .annotate(n=Count("pk"), converted=Count("pk", filter=Q(bought=True)))
    )
    points: dict[dt.date, dict[str, int]] = {}
    for r in rows:
        start = r["bucket"]
        if isinstance(start, dt.datetime):
            start = (
                timezone.localtime(start).date()
                if timezone.is_aware(start)
                else start.date()
            )
        point = points.setdefault(start, {"treated": 0, "tc": 0, "holdout": 0, "hc": 0})
        if r["holdout"]:
            point["holdout"] += r["n"]
            point["hc"] += r["converted"]
        else:
            point["treated"] += r["n"]
            point["tc"] += r["converted"]
    return [
        SeriesPoint(day, p["treated"], p["tc"], p["holdout"], p["hc"])
        for day, p in sorted(points.items())
    ]


def _steps(
    journey: Journey,
    enrolments: QuerySet[Enrolment],
    customers: QuerySet[Any],
    since: dt.datetime,
    days: int,
) -> list[StepFigures]:
    if journey.current_version is None:
        return []
    definition = definition_load(journey.current_version)
    converted, spent = _bought("enrolment__customer_id", "at", days)
    ran = {
        r["step"]: r
        for r in StepRun.objects.filter(enrolment__in=enrolments.values("pk"))
        .annotate(bought=converted, spent=spent)
        .order_by()
        .values("step")
        .annotate(
            n=Count("pk"),
            converted=Count("pk", filter=Q(bought=True)),
            revenue=Sum("spent"),
        )
    }
    waiting = dict(
        enrolments.filter(state="active")
        .order_by()
        .values("step")
        .annotate(n=Count("pk"))
        .values_list("step", "n")
    )
    prefix = f"journey {journey.slug} · "
    messages = audience_figures(
        audience_prefix=prefix,
        customers=customers.filter(pk__in=enrolments.values("customer_id")),
        since=since,
    )
    steps = []
    for sid, step in definition.steps.items():
        row: Any = ran.get(sid, {})
        figures = messages.get(prefix + sid, {})
        steps.append(
            StepFigures(
                id=sid,
                type=step["type"],
                entered=int(row.get("n", 0)) + int(waiting.get(sid, 0)),
                ran=int(row.get("n", 0)),
                converted=int(row.get("converted", 0)),
                revenue=Decimal(row.get("revenue") or 0).quantize(Decimal("0.01")),
                **{name: int(figures.get(name, 0)) for name in MESSAGE_FIGURES},
            )
        )
    return steps


def journey_report(
    *,
    actor: Any,
    journey: Journey,
    start: dt.date,
    end: dt.date,
    days: int = DEFAULT_DAYS,
) -> JourneyReport:
    """The effect of ``journey`` on the enrolments that entered from
    ``start`` to ``end`` (both days included, the business's time zone), of
    the customers in ``actor``'s scope, with conversion counted over
    ``days`` days. The caller checked the bounds (``MAX_DAYS``,
    ``MAX_RANGE_DAYS``)."""
    customers = customer_scope(actor=actor)
    since, until = _moment(start), _moment(end + dt.timedelta(days=1))
    enrolments = Enrolment.objects.filter(
        journey=journey,
        customer__in=customers.values("pk"),
        entered_at__gte=since,
        entered_at__lt=until,
    )
    groups = _groups(enrolments, days)
    coupons = (
        issued_coupon_list(actor=actor)
        .filter(source=journey_source(journey.slug), issued_at__gte=since)
        .filter(customer_id__in=enrolments.values("customer_id"))
        .order_by()
        .aggregate(
            issued=Count("pk"),
            redeemed=Count("pk", filter=Q(redeemed_order__isnull=False)),
        )
    )
    weekly = (end - start).days >= DAILY_UP_TO
    return JourneyReport(
        slug=journey.slug,
        start=start,
        end=end,
        days=days,
        treated=groups[False],
        holdout=groups[True],
        conversion=conversion_lift(groups[False], groups[True]),
        revenue_per_customer=revenue_lift(groups[False], groups[True]),
        coupons_issued=int(coupons["issued"]),
        coupons_redeemed=int(coupons["redeemed"]),
        steps=_steps(journey, enrolments, customers, since, days),
        series=_series(enrolments, days, weekly),
        by_week=weekly,
    )


@dataclass(frozen=True)
class ReportFilter:
    """A report's period (entry dates, both included) and window in days."""

    start: dt.date
    end: dt.date
    days: int = DEFAULT_DAYS


#: The default period: the last 90 days.
DEFAULT_RANGE_DAYS = 90


def _date(value: Any, default: dt.date, field_name: str, strict: bool) -> dt.date:
    text = str(value or "").strip()
    if not text and not (strict and value is not None):
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            _("Enter dates as YYYY-MM-DD."), field=field_name
        ) from None


def report_filter(params: Any, *, today: dt.date, strict: bool = False) -> ReportFilter:
    """The period and N from a query string (``start``, ``end``, ``days``);
    ``ValidationFailed`` with a clear message when one is bad. ``strict``
    (the API): a parameter given empty is bad too (a form leaves it empty
    for the default)."""
    end = _date(params.get("end"), today, "end", strict)
    start = _date(
        params.get("start"),
        end - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1),
        "start",
        strict,
    )
    if start > end:
        raise ValidationFailed(
            _("The start date is after the end date."), field="start"
        )
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationFailed(
            _("A report covers at most %(max)d days.") % {"max": MAX_RANGE_DAYS},
            field="start",
        )
    given = params.get("days")
    raw = str(given or "").strip()
    days = DEFAULT_DAYS
    if raw or (strict and given is not None):
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
            raise ValidationFailed(
                _("Converted within: a number of days from 1 to %(max)d.")
                % {"max": MAX_DAYS},
                field="days",
            )
        days = int(raw)
    return ReportFilter(start=start, end=end, days=days)
