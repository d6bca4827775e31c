"""NPS and CSAT over time, by segment, store and staff member, with response
rates (answers / invitations sent) and 95 % intervals
(:mod:`guanxi.analytics.surveys`), in the caller's scope. Bounded: the
scores of the range are read once (two columns) and grouped in Python."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncMonth

from guanxi.access.selectors import staff_list
from guanxi.analytics.surveys import CsatFigure, NpsFigure, csat_of, nps_of
from guanxi.segments.selectors import segment_list, segment_members
from guanxi.surveys.choices import SurveyKind
from guanxi.surveys.selectors import answer_scope, invitation_scope

#: Segments shown in the report (the first ones).
SEGMENTS_MAX = 20


@dataclass(frozen=True)
class Row:
    label: str
    sent: int
    nps: NpsFigure
    csat: CsatFigure

    @property
    def answered(self) -> int:
        return self.nps.n + self.csat.n

    @property
    def rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None

    @property
    def csat_percent(self) -> tuple[float, float, float] | None:
        """CSAT and its interval in per cent (None without answers)."""
        c = self.csat
        if c.share is None or c.low is None or c.high is None:
            return None
        return (100 * c.share, 100 * c.low, 100 * c.high)


def _row(label: str, sent: int, nps: list[int], csat: list[int]) -> Row:
    return Row(label, sent, nps_of(nps), csat_of(csat))


def survey_report(
    *, actor: Any, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    answers = answer_scope(actor=actor).filter(
        answered_at__gte=start,
        answered_at__lt=end,
        kind__in=[SurveyKind.NPS, SurveyKind.CSAT],
        score__isnull=False,
    )
    invitations = invitation_scope(actor=actor).filter(
        created_at__gte=start,
        created_at__lt=end,
        survey__kind__in=[SurveyKind.NPS, SurveyKind.CSAT],
    )
    rows = list(
        answers.values_list(
            "kind", "score", "answered_at", "customer_id", "invitation__store",
            "invitation__staff_id",
        ).order_by()
    )  # fmt: skip

    def group(key_of: Any) -> dict[Any, tuple[list[int], list[int]]]:
        found: dict[Any, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for row in rows:
            key = key_of(row)
            found[key][0 if row[0] == SurveyKind.NPS else 1].append(int(row[1] or 0))
        return found

    def sent_by(field: str) -> dict[Any, int]:
        return dict(invitations.values_list(field).annotate(n=Count("id")).order_by())

    total = group(lambda r: None).get(None, ([], []))
    overall = _row("", invitations.count(), *total)

    # Over time, by month of the answer (and of the invitation for the rate).
    by_month = group(lambda r: r[2].date().replace(day=1))
    sent_month: dict[Any, int] = {}
    for month, n in (
        invitations.annotate(m=TruncMonth("created_at"))
        .values_list("m")
        .annotate(n=Count("id"))
        .order_by()
    ):
        key = month.date() if isinstance(month, dt.datetime) else month
        sent_month[key] = n
    months = sorted(set(by_month) | set(sent_month))
    time_rows = [
        _row(m.strftime("%Y-%m"), sent_month.get(m, 0), *by_month.get(m, ([], [])))
        for m in months
    ]

    by_store = group(lambda r: r[4] or "")
    sent_store = sent_by("store")
    store_rows = [
        _row(store or "—", sent_store.get(store, 0), *by_store.get(store, ([], [])))
        for store in sorted(set(by_store) | set(sent_store))
    ]

    by_staff = group(lambda r: r[5])
    sent_staff = sent_by("staff_id")
    names = {
        u.pk: u.get_username()
        for u in staff_list().filter(
            pk__in=[k for k in set(by_staff) | set(sent_staff) if k]
        )
    }
    staff_rows = [
        _row(
            names.get(k, "—") if k else "—",
            sent_staff.get(k, 0),
            *by_staff.get(k, ([], [])),
        )
        for k in sorted(
            set(by_staff) | set(sent_staff), key=lambda k: (k is None, k or 0)
        )
    ]

    segment_rows = []
    for segment in segment_list()[:SEGMENTS_MAX]:
        try:
            members = segment_members(actor=actor, rules=segment.rules)
        except Exception:  # a segment whose rules no longer run is left out
            continue
        ids = members.values("pk")
        seg = answers.filter(customer_id__in=ids).values_list("kind", "score")
        nps = [int(s or 0) for k, s in seg if k == SurveyKind.NPS]
        csat = [int(s or 0) for k, s in seg if k == SurveyKind.CSAT]
        sent = invitations.filter(customer_id__in=ids).count()
        if sent or nps or csat:
            segment_rows.append(_row(str(segment), sent, nps, csat))

    return {
        "overall": overall,
        "months": time_rows,
        "stores": store_rows,
        "staff": staff_rows,
        "segments": segment_rows,
    }


def report_chart(report: dict[str, Any]) -> dict[str, Any]:
    """The over-time chart's data (ECharts): NPS and CSAT with their
    intervals per month."""

    def value(x: float | None, scale: float = 1.0) -> float | None:
        return None if x is None else round(x * scale, 1)

    months = report["months"]
    return {
        "labels": [r.label for r in months],
        "nps": [value(r.nps.nps) for r in months],
        "nps_low": [value(r.nps.low) for r in months],
        "nps_high": [value(r.nps.high) for r in months],
        "csat": [value(r.csat.share, 100) for r in months],
        "csat_low": [value(r.csat.low, 100) for r in months],
        "csat_high": [value(r.csat.high, 100) for r in months],
    }
