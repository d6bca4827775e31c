"""The ticket report: volume, first-reply and solve times against the SLA,
breaches, by category and by person, for tickets opened in a date range over
the customers in the actor's scope."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.feedback.choices import Category
from guanxi.feedback.selectors import ticket_scope

__all__ = ["ReportRow", "TicketReport", "report_range", "ticket_report"]

DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass
class ReportRow:
    """One group's figures (hours are medians; None when nothing to count)."""

    label: str
    opened: int = 0
    replied: int = 0
    replied_in_time: int = 0
    solved: int = 0
    solved_in_time: int = 0
    breached: int = 0
    reply_hours: list[float] = field(default_factory=list)
    solve_hours: list[float] = field(default_factory=list)

    @property
    def reply_median(self) -> float | None:
        return (
            round(statistics.median(self.reply_hours), 1) if self.reply_hours else None
        )

    @property
    def solve_median(self) -> float | None:
        return (
            round(statistics.median(self.solve_hours), 1) if self.solve_hours else None
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "opened": self.opened,
            "replied": self.replied,
            "replied_in_time": self.replied_in_time,
            "solved": self.solved,
            "solved_in_time": self.solved_in_time,
            "breached": self.breached,
            "reply_median": self.reply_median,
            "solve_median": self.solve_median,
        }


@dataclass
class TicketReport:
    total: ReportRow
    by_category: list[ReportRow]
    by_person: list[ReportRow]


def _date(raw: str, default: dt.date, field_name: str) -> dt.date:
    if not raw.strip():
        return default
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(
            _("Give the day as YYYY-MM-DD."), field=field_name
        ) from None


def report_range(params: Any, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """The range of the query string (default: the last 30 days)."""
    end = _date(str(params.get("end", "") or ""), today, "end")
    start = _date(
        str(params.get("start", "") or ""),
        end - dt.timedelta(days=DEFAULT_DAYS - 1),
        "start",
    )
    if start > end:
        raise ValidationFailed(
            _("The start date is after the end date."), field="start"
        )
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed(
            _("Choose at most %(n)d days.") % {"n": MAX_DAYS}, field="start"
        )
    return start, end


def _hours(a: dt.datetime, b: dt.datetime) -> float:
    return (b - a).total_seconds() / 3600


def report_from_rows(rows: Iterable[tuple[Any, ...]], *, nobody: str) -> TicketReport:
    """Figures from ``(category, owner, opened_at, first_reply_due,
    first_reply_at, solve_due, solved_at, breached)`` rows."""
    total = ReportRow(label="")
    categories = {
        value: ReportRow(label=str(label)) for value, label in Category.choices
    }
    people: dict[str, ReportRow] = {}
    for (
        category,
        owner,
        opened,
        reply_due,
        replied,
        solve_due,
        solved,
        breached,
    ) in rows:
        person = people.setdefault(owner or nobody, ReportRow(label=owner or nobody))
        for row in (total, categories[category], person):
            row.opened += 1
            if replied is not None:
                row.replied += 1
                row.replied_in_time += replied <= reply_due
                row.reply_hours.append(_hours(opened, replied))
            if solved is not None:
                row.solved += 1
                row.solved_in_time += solved <= solve_due
                row.solve_hours.append(_hours(opened, solved))
            row.breached += bool(breached)
    return TicketReport(
        total=total,
        by_category=[r for r in categories.values() if r.opened],
        by_person=sorted(people.values(), key=lambda r: (-r.opened, r.label)),
    )


def ticket_report(*, actor: Any, start: dt.date, end: dt.date) -> TicketReport:
    """The report over tickets opened from ``start`` to ``end`` (local days)."""
    zone = timezone.get_current_timezone()
    first = dt.datetime.combine(start, dt.time.min, zone)
    last = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone)
    rows = (
        ticket_scope(actor=actor)
        .filter(opened_at__gte=first, opened_at__lt=last)
        .order_by()
        .values_list(
            "category",
            "owner__username",
            "opened_at",
            "first_reply_due",
            "first_reply_at",
            "solve_due",
            "solved_at",
            "first_reply_breached_at",
            "solve_breached_at",
        )
    )
    return report_from_rows(
        ((*r[:7], r[7] or r[8]) for r in rows.iterator(chunk_size=5000)),
        nobody=_("nobody"),
    )
