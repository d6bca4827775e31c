"""The journey engine: who enters (set-based inserts guarded by the
database's unique constraints), and moving enrolments through their
version's steps, a step at a time for all who are due at it.

Every write is set-based: one ``INSERT … SELECT … ON CONFLICT DO NOTHING``
per trigger and journey, one claim (``UPDATE … RETURNING``, ``FOR UPDATE
SKIP LOCKED`` on PostgreSQL) per step and chunk, one insert of step runs
and one update per branch. Two schedulers at the same moment therefore
enrol each customer once and run each step of an enrolment once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from guanxi.journeys.actions import Batch, run_action
from guanxi.journeys.choices import (
    EnrolmentState,
    EntryRule,
    ExitReason,
    JourneyState,
    StepOutcome,
)
from guanxi.journeys.conditions import condition_q
from guanxi.journeys.definition import Definition, duration_of
from guanxi.journeys.holdout import holdout_key, holdout_sql
from guanxi.journeys.models import Enrolment, Journey, JourneyVersion, StepRun

__all__ = [
    "RunCounts",
    "arrival_due",
    "definition_load",
    "definitions_load",
    "enrol",
    "enrolments_advance",
    "enrolments_exit",
    "enrolments_move",
    "entry_key",
    "id_list",
    "id_table",
    "period_key",
    "run_moment",
    "step_runs_record",
]

CHUNK = 5000
#: Rounds of the advance loop: a definition has no loops and at most 50
#: steps, so every enrolment is waiting or finished after this many.
MAX_ROUNDS = 52


@dataclass
class RunCounts:
    evaluated: int = 0
    enrolled: int = 0
    advanced: int = 0
    queued: int = 0
    seconds: float = 0.0
    by_journey: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "evaluated": self.evaluated,
            "enrolled": self.enrolled,
            "advanced": self.advanced,
            "queued": self.queued,
            "seconds": round(self.seconds, 3),
        }


def run_moment(as_of: dt.date | None) -> dt.datetime:
    """The moment a run is for: now (no day, or today), or the end of the day
    ``as_of`` (a day gone by, or one to come: what a run on it would do)."""
    now = timezone.now()
    if as_of is None or as_of == timezone.localdate(now):
        return now
    return dt.datetime.combine(
        as_of, dt.time(23, 59, 59), tzinfo=timezone.get_current_timezone()
    )


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


def period_key(period: str, day: dt.date) -> str:
    """The calendar period ``day`` is in: ``2026``, ``2026-12``, ``2026-W49``
    or the day itself."""
    if period == "year":
        return f"{day.year}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    if period == "week":
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


def entry_key(journey: Journey, *, occurrence: str, day: dt.date) -> str:
    """Which entry this is under the journey's entry rule: one key per
    customer ever, per period, or per occurrence of the trigger."""
    if journey.entry_rule == EntryRule.ONCE:
        return "once"
    if journey.entry_rule == EntryRule.PER_PERIOD:
        return period_key(journey.entry_period, day)
    return occurrence


_definitions: dict[int, Definition] = {}


def definition_load(version: JourneyVersion | int) -> Definition:
    """A stored (checked when written, never changed) version's definition."""
    pk = version if isinstance(version, int) else version.pk
    found = _definitions.get(pk)
    if found is None:
        raw = (
            version.definition
            if isinstance(version, JourneyVersion)
            else JourneyVersion.objects.values_list("definition", flat=True).get(pk=pk)
        )
        steps = {s["id"]: s for s in raw["steps"]}
        found = Definition(trigger=raw["trigger"], steps=steps, first=next(iter(steps)))
        _definitions[pk] = found
    return found


def definitions_load(pks: Iterable[int]) -> None:
    """Read the definitions of the versions ``pks`` not read before, in one
    query (:func:`definition_load` then answers from memory)."""
    missing = [pk for pk in pks if pk not in _definitions]
    if missing:
        for version in JourneyVersion.objects.filter(pk__in=missing).only(
            "pk", "definition"
        ):
            definition_load(version)


def arrival_due(step: dict[str, Any], moment: dt.datetime) -> dt.datetime:
    """When a step reached at ``moment`` runs: the end of its wait, or now."""
    kind = step["type"]
    if kind == "wait":
        return moment + (duration_of(step["duration"]) or dt.timedelta(0))
    if kind == "wait_event":
        return moment + (duration_of(step["timeout"]) or dt.timedelta(0))
    if kind == "wait_until":
        local = timezone.localtime(moment)
        hour, minute = (int(p) for p in step["time"].split(":"))
        days = (step["weekday"] - local.weekday()) % 7
        due = (local + dt.timedelta(days=days)).replace(
            hour=hour, minute=minute, second=0, microsecond=0
        )
        if due <= local:
            due += dt.timedelta(days=7)
        return due
    return moment


def _adapt(moment: dt.datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def enrol(
    journey: Journey,
    customers: QuerySet[Any],
    *,
    key: str,
    moment: dt.datetime,
) -> int:
    """Enrol ``customers`` (a queryset of customers) in the journey's current
    version at its first step; how many entered. A customer already in the
    journey, or who entered under ``key`` before, is left out by the
    database (``ON CONFLICT DO NOTHING``)."""
    version = journey.current_version
    if version is None:
        return 0
    definition = definition_load(version)
    first = definition.first
    due = arrival_due(definition.steps[first], moment)
    try:
        select, params = (
            customers.order_by()
            .annotate(jcid=F("pk"))
            .values("jcid")
            .query.sql_with_params()
        )
    except EmptyResultSet:  # a trigger that picks nobody (``.none()``)
        return 0
    table = connection.ops.quote_name(Enrolment._meta.db_table)
    sql = (
        f"INSERT INTO {table} (journey_id, version_id, customer_id, entry_key, state, "
        'exit_reason, holdout, step, step_at, next_due_at, entered_at, "values") '
        f"SELECT %s, %s, c.jcid, %s, %s, '', ({holdout_sql('c.jcid')} < %s), "
        f"%s, %s, %s, %s, '{{}}' FROM ({select}) c WHERE 1 = 1 ON CONFLICT DO NOTHING"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                journey.pk,
                version.pk,
                key,
                EnrolmentState.ACTIVE.value,
                holdout_key(journey.pk),
                journey.holdout_percent * 100,
                first,
                _adapt(moment),
                _adapt(due),
                _adapt(moment),
                *params,
            ],
        )
        return max(int(cursor.rowcount), 0)


# --- moving on ----------------------------------------------------------


def _claim(
    *, journey_id: int, version_id: int, step: str, moment: dt.datetime
) -> list[int]:
    """Take the enrolments due at ``step`` (up to a chunk) for this run: their
    due time is cleared, so another scheduler passes them by."""
    table = connection.ops.quote_name(Enrolment._meta.db_table)
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = (
        f"UPDATE {table} SET next_due_at = NULL WHERE id IN (SELECT id FROM {table} "
        "WHERE journey_id = %s AND state = %s AND step = %s AND next_due_at <= %s "
        f"AND version_id = %s ORDER BY id LIMIT %s{skip_locked}) RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                journey_id,
                EnrolmentState.ACTIVE.value,
                step,
                _adapt(moment),
                version_id,
                CHUNK,
            ],
        )
        return sorted(row[0] for row in cursor.fetchall())


def enrolments_move(
    ids: Sequence[int], target: str, steps: dict[str, Any], moment: dt.datetime
) -> None:
    if not ids:
        return
    rows = Enrolment.objects.filter(pk__in=ids)
    if not target:
        rows.update(
            state=EnrolmentState.COMPLETED,
            step="",
            next_due_at=None,
            finished_at=moment,
        )
        return
    rows.update(
        step=target, step_at=moment, next_due_at=arrival_due(steps[target], moment)
    )


def enrolments_exit(ids: Sequence[int], reason: str, moment: dt.datetime) -> None:
    Enrolment.objects.filter(pk__in=ids).update(
        state=EnrolmentState.EXITED,
        exit_reason=reason,
        step="",
        next_due_at=None,
        finished_at=moment,
    )


def step_runs_record(
    runs: Iterable[tuple[int, str, str, str]], moment: dt.datetime
) -> int:
    """Write step runs (enrolment, step, outcome, detail); how many."""
    rows = [
        StepRun(enrolment_id=e, step=s, outcome=o, detail=d[:200], at=moment)
        for e, s, o, d in runs
    ]
    StepRun.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def _run_batch(batch: Batch) -> tuple[int, int]:
    """Run one step for a claimed batch; (step runs written, queued)."""
    step, steps, moment = batch.step, batch.definition.steps, batch.moment
    kind, sid = step["type"], step["id"]
    queued = 0
    if kind in ("wait", "wait_until"):
        runs = [(pk, sid, StepOutcome.WAITED.value, "") for pk in batch.ids]
        enrolments_move(batch.ids, step.get("next", ""), steps, moment)
    elif kind == "wait_event":
        runs = [(pk, sid, StepOutcome.TIMED_OUT.value, "") for pk in batch.ids]
        enrolments_move(
            batch.ids, step.get("timeout_next") or step.get("next", ""), steps, moment
        )
    elif kind == "condition":
        yes = set(
            Enrolment.objects.filter(pk__in=batch.ids)
            .filter(condition_q(step))
            .values_list("pk", flat=True)
        )
        no = [pk for pk in batch.ids if pk not in yes]
        runs = [(pk, sid, StepOutcome.YES.value, "") for pk in sorted(yes)]
        runs += [(pk, sid, StepOutcome.NO.value, "") for pk in no]
        enrolments_move(sorted(yes), step.get("then", ""), steps, moment)
        enrolments_move(no, step.get("else", ""), steps, moment)
    elif kind == "exit":
        runs = [(pk, sid, StepOutcome.EXITED.value, "") for pk in batch.ids]
        enrolments_exit(batch.ids, ExitReason.EXIT_STEP, moment)
    else:
        runs, queued, going = run_action(batch)
        for key, ids in going.items():
            enrolments_move(ids, step.get(key, ""), steps, moment)
    return step_runs_record(runs, moment), queued


def enrolments_advance(
    *, moment: dt.datetime, journeys: Iterable[Journey] | None = None
) -> tuple[int, int]:
    """Run every due step of every active enrolment of the journeys (default:
    those switched on) until each waits or is finished; (step runs written,
    messages queued)."""
    chosen = list(
        journeys
        if journeys is not None
        else Journey.objects.filter(state=JourneyState.ON)
    )
    advanced = queued = 0
    for _round in range(MAX_ROUNDS):
        progressed = False
        for journey in chosen:
            versions = (
                Enrolment.objects.filter(
                    journey=journey,
                    state=EnrolmentState.ACTIVE,
                    next_due_at__lte=moment,
                )
                .order_by()
                .values_list("version_id", flat=True)
                .distinct()
            )
            for version_id in list(versions):
                definition = definition_load(version_id)
                for step in definition.steps.values():
                    while True:
                        with transaction.atomic():
                            ids = _claim(
                                journey_id=journey.pk,
                                version_id=version_id,
                                step=step["id"],
                                moment=moment,
                            )
                            if not ids:
                                break
                            written, sent = _run_batch(
                                Batch(
                                    journey, version_id, definition, step, ids, moment
                                )
                            )
                        advanced += written
                        queued += sent
                        progressed = True
        if not progressed:
            break
    return advanced, queued


# --- customers' ids ----------------------------------------------------------


def id_list(ids: Sequence[int]) -> RawSQL:
    """Customers' ids for an ``__in`` lookup as one parameter (an array or a
    JSON list read by the database), not one per id: Django prepares every
    element of a list, which cost more than the lookup itself."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(list(ids)),))


def id_table(ids: Sequence[int], alias: str = "i") -> tuple[str, list[Any]]:
    """Customers' ids as a table ``alias`` with one column ``value`` (one
    parameter), for a join the database runs from them."""
    if connection.vendor == "postgresql":
        return f"unnest(%s::bigint[]) AS {alias}(value)", [list(ids)]
    return f"json_each(%s) AS {alias}", [json.dumps(list(ids))]
