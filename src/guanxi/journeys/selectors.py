"""Reads of the journeys app: the list with counts, one journey with who is
at which step, a customer's journeys for the timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for, scope_for
from guanxi.core.errors import NotFound
from guanxi.journeys.choices import EnrolmentState, StepOutcome
from guanxi.journeys.models import Enrolment, Journey, StepRun

__all__ = [
    "JourneyRow",
    "customer_journey_log",
    "enrolment_list",
    "journey_exit_counts",
    "journey_get",
    "journey_list",
    "journey_rows",
    "journey_step_counts",
]


@dataclass(frozen=True)
class JourneyRow:
    pk: int
    slug: str
    name_zh: str
    name_en: str
    state: str
    version_number: int | None
    active: int
    completed: int
    exited: int
    holdout_percent: int


def journey_list() -> list[JourneyRow]:
    """Every journey with its current version and counts of enrolments."""
    rows = (
        Journey.objects.select_related("current_version")
        .order_by("slug")
        .annotate(
            n_active=Count(
                "enrolments", filter=Q(enrolments__state=EnrolmentState.ACTIVE)
            ),
            n_completed=Count(
                "enrolments", filter=Q(enrolments__state=EnrolmentState.COMPLETED)
            ),
            n_exited=Count(
                "enrolments", filter=Q(enrolments__state=EnrolmentState.EXITED)
            ),
        )
    )
    return [
        JourneyRow(
            pk=j.pk,
            slug=j.slug,
            name_zh=j.name_zh,
            name_en=j.name_en,
            state=j.state,
            version_number=j.current_version.number if j.current_version else None,
            active=j.n_active,
            completed=j.n_completed,
            exited=j.n_exited,
            holdout_percent=j.holdout_percent,
        )
        for j in rows
    ]


def journey_rows() -> QuerySet[Journey]:
    """Every journey with its current version (for the API's pages)."""
    return Journey.objects.select_related("current_version").order_by("-id")


def enrolment_list(
    *,
    actor: Any,
    journey: Journey | None = None,
    customer_id: int | None = None,
) -> QuerySet[Enrolment]:
    """Enrolments of the customers in ``actor``'s scope, newest first; of one
    journey, of one customer (by number: nothing for roles that know
    customers by pseudonym only)."""
    qs = scope_for(actor).apply(Enrolment.objects.all(), via="customer")
    if journey is not None:
        qs = qs.filter(journey=journey)
    if customer_id is not None:
        if not policy_for(actor).knows_customer_numbers:
            return qs.none()
        qs = qs.filter(customer_id=customer_id)
    return qs.select_related("journey", "version").order_by("-id")


def journey_get(*, slug: str) -> Journey:
    found = Journey.objects.filter(slug=slug).select_related("current_version").first()
    if found is None:
        raise NotFound(_("No journey has the slug %(slug)s.") % {"slug": slug[:64]})
    return found


def journey_step_counts(
    *, journey: Journey, customers: QuerySet[Any]
) -> dict[str, dict[str, int]]:
    """Of the customers in ``customers`` (the reader's scope): how many are
    at each step of the current version, and what each step did."""
    active = (
        Enrolment.objects.filter(
            journey=journey, state=EnrolmentState.ACTIVE, customer__in=customers
        )
        .order_by()
        .values("step")
        .annotate(n=Count("id"))
    )
    at = {row["step"]: row["n"] for row in active}
    outcomes = (
        StepRun.objects.filter(
            enrolment__journey=journey, enrolment__customer__in=customers
        )
        .order_by()
        .values("step", "outcome")
        .annotate(n=Count("id"))
    )
    ran: dict[str, dict[str, int]] = {}
    for row in outcomes:
        ran.setdefault(row["step"], {})[row["outcome"]] = row["n"]
    return {"at": at, **{f"ran:{k}": v for k, v in ran.items()}}


def journey_exit_counts(
    *, journey: Journey, customers: QuerySet[Any]
) -> dict[str, int]:
    """Why customers left or finished, counted (scope applied)."""
    rows = (
        Enrolment.objects.filter(journey=journey, customer__in=customers)
        .exclude(state=EnrolmentState.ACTIVE)
        .order_by()
        .values("state", "exit_reason")
        .annotate(n=Count("id"))
    )
    return {f"{r['state']}:{r['exit_reason']}": r["n"] for r in rows}


def journey_recent(
    *, journey: Journey, customers: QuerySet[Any], limit: int = 20
) -> QuerySet[Enrolment]:
    """The latest enrolments of customers in scope, newest first."""
    return Enrolment.objects.filter(journey=journey, customer__in=customers).order_by(
        "-entered_at", "-id"
    )[:limit]


@dataclass(frozen=True)
class JourneyEntry:
    at: dt.datetime
    journey: str
    step: str
    outcome: str
    text: str


def customer_journey_log(*, customer_id: int, limit: int) -> list[JourneyEntry]:
    """The customer's enrolments and steps, newest first (at most ``limit``
    of each)."""
    entries: list[JourneyEntry] = []
    enrolments = (
        Enrolment.objects.filter(customer_id=customer_id)
        .select_related("journey")
        .order_by("-entered_at")[:limit]
    )
    for e in enrolments:
        name = e.journey.name_en if _english() else e.journey.name_zh
        text = _("Entered the journey %(name)s") % {"name": name}
        if e.holdout:
            text += " · " + _("held out (receives nothing)")
        entries.append(JourneyEntry(e.entered_at, name, "", "entered", text))
        if e.finished_at is not None:
            done = (
                _("Left the journey %(name)s") % {"name": name}
                if e.state == EnrolmentState.EXITED
                else _("Completed the journey %(name)s") % {"name": name}
            )
            entries.append(JourneyEntry(e.finished_at, name, "", e.state, done))
    runs = (
        StepRun.objects.filter(enrolment__customer_id=customer_id)
        .select_related("enrolment__journey")
        .order_by("-at", "-id")[:limit]
    )
    for r in runs:
        journey = r.enrolment.journey
        name = journey.name_en if _english() else journey.name_zh
        entries.append(
            JourneyEntry(
                r.at,
                name,
                r.step,
                r.outcome,
                _("Journey %(name)s, step %(step)s: %(outcome)s")
                % {
                    "name": name,
                    "step": r.step,
                    "outcome": StepOutcome(r.outcome).label,
                },
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _english() -> bool:
    from django.utils.translation import get_language

    return not (get_language() or "zh-hans").startswith("zh")


@dataclass(frozen=True)
class DryRun:
    """Who a journey's trigger picks on a day, of the customers in scope."""

    day: dt.date
    key: str
    picked: int
    already: int
    would_enter: int
    sample: list[int]


def journey_dry_run(
    *, journey: Journey, day: dt.date, customers: QuerySet[Any], sample: int
) -> DryRun:
    """What a run on ``day`` would enrol, writing nothing: those the trigger
    picks (in scope), those kept out by the entry rule (in the journey now,
    or entered under the same key), a sample of the rest by number."""
    from guanxi.journeys.engine import entry_key
    from guanxi.journeys.triggers import trigger_candidates

    if journey.current_version is None:
        return DryRun(day, "", 0, 0, 0, [])
    trigger = journey.current_version.definition["trigger"]
    picked, occurrence = trigger_candidates(journey, trigger, day)
    key = entry_key(journey, occurrence=occurrence, day=day)
    picked = picked.filter(pk__in=customers.values("pk"))
    blocked = Enrolment.objects.filter(journey=journey).filter(
        Q(state=EnrolmentState.ACTIVE) | Q(entry_key=key)
    )
    fresh = picked.exclude(pk__in=blocked.values("customer_id"))
    total = picked.count()
    would = fresh.count()
    return DryRun(
        day=day,
        key=key,
        picked=total,
        already=total - would,
        would_enter=would,
        sample=list(fresh.order_by("pk").values_list("pk", flat=True)[:sample]),
    )
