"""What a purchase sets off in the journeys switched on: exits from journeys
that end on a purchase, waits for a purchase moving on, and entries into
purchase-triggered journeys — for the customers whose orders were just
written (the order hook) and, for exits and waits, for everyone (the
scheduler's pass).

The order hook's cost grows with the customers written, so the work per
customer is done by the database, with the customers' ids as one parameter
and a chunk of them per statement: one locked read of the enrolments a
purchase changes (journey, step and dates decided in SQL, so nothing comes
back for a customer it changes nothing for), and one ``INSERT … SELECT``
for every purchase-triggered journey at once, which leaves out in the same
statement whoever the entry rule keeps out, so the holdout hash is computed
only for those who enter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from guanxi.customers.selectors import customer_rows
from guanxi.journeys.choices import (
    EnrolmentState,
    ExitReason,
    StepOutcome,
    TriggerEvent,
)
from guanxi.journeys.engine import (
    arrival_due,
    definition_load,
    definitions_load,
    enrolments_exit,
    enrolments_move,
    id_list,
    id_table,
    step_runs_record,
)
from guanxi.journeys.holdout import holdout_key, holdout_sql
from guanxi.journeys.models import Enrolment, Journey, JourneyVersion

__all__ = [
    "ID_CHUNK",
    "PURCHASE_EVENTS",
    "PurchasePlan",
    "exits_on_purchase",
    "purchase_enrol",
    "purchase_plan",
    "purchases_seen",
    "waits_on_purchase",
]

#: Customers' ids per statement of the order hook.
ID_CHUNK = 5000
#: The events a written order sets off.
PURCHASE_EVENTS = (TriggerEvent.PURCHASE.value, TriggerEvent.FIRST_PURCHASE.value)


@dataclass(frozen=True)
class PurchasePlan:
    """What a purchase can do in the journeys switched on: which journeys end
    on one, and which steps of which versions wait for one."""

    exits: frozenset[int] = frozenset()
    waits: dict[int, frozenset[str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.exits and not self.waits


def purchase_plan(journeys: Sequence[Journey]) -> PurchasePlan:
    """The plan for ``journeys`` (those switched on): one small query for
    their versions' ids (and one for definitions not read before)."""
    if not journeys:
        return PurchasePlan()
    pks = list(
        JourneyVersion.objects.filter(journey_id__in=[j.pk for j in journeys])
        .order_by()
        .values_list("pk", flat=True)
    )
    definitions_load(pks)
    waits = {}
    for pk in pks:
        steps = frozenset(
            sid
            for sid, step in definition_load(pk).steps.items()
            if step["type"] == "wait_event"
        )
        if steps:
            waits[pk] = steps
    return PurchasePlan(
        exits=frozenset(j.pk for j in journeys if j.exit_on_purchase), waits=waits
    )


def _changed(ids: Sequence[int], plan: PurchasePlan) -> list[tuple[Any, ...]]:
    """The active enrolments of the customers ``ids`` that their last
    purchase changes, locked, by id: (id, version, step, leaves). It takes a
    customer out of a journey that ends on a purchase when made after
    entering, and on from a wait for one when made since reaching the step;
    leaving comes first. The database runs it from the ids (``CROSS JOIN``
    keeps SQLite's order: each id, its enrolments through the (customer,
    state) index, then the customer), so the cost is per customer and
    nothing comes back for those it changes nothing for."""
    table = connection.ops.quote_name(Enrolment._meta.db_table)
    ids_sql, params = id_table(ids)
    customers, customer_params = (
        customer_rows()
        .order_by()
        .annotate(jcid=F("pk"), jlast=F("last_purchase_at"))
        .values("jcid", "jlast")
        .query.sql_with_params()
    )
    leave, leave_params = "1 = 0", list[Any]()
    if plan.exits:
        exits = sorted(plan.exits)
        leave = (
            f"(e.journey_id IN ({', '.join(['%s'] * len(exits))}) "
            "AND c.jlast > e.entered_at)"
        )
        leave_params = list(exits)
    moves: list[str] = []
    move_params: list[Any] = []
    for version_id, steps in sorted(plan.waits.items()):
        moves.append(
            f"(e.version_id = %s AND e.step IN ({', '.join(['%s'] * len(steps))}) "
            "AND c.jlast >= e.step_at)"
        )
        move_params += [version_id, *sorted(steps)]
    lock = " FOR UPDATE OF e" if connection.vendor == "postgresql" else ""
    sql = (
        f"SELECT e.id, e.version_id, e.step, {leave} AS leaves "
        f"FROM {ids_sql} CROSS JOIN {table} e CROSS JOIN ({customers}) c "
        "WHERE e.customer_id = i.value AND e.state = %s AND c.jcid = e.customer_id "
        f"AND ({' OR '.join([leave, *moves])}) ORDER BY e.id{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                *leave_params,
                *params,
                *customer_params,
                EnrolmentState.ACTIVE.value,
                *leave_params,
                *move_params,
            ],
        )
        return list(cursor.fetchall())


def _apply(rows: list[tuple[Any, ...]], moment: dt.datetime) -> tuple[int, int]:
    """Write what :func:`_changed` found (in the caller's transaction):
    the step runs, who left and who moved on. (Left, moved on.)"""
    leave = [(pk, step) for pk, _v, step, leaves in rows if leaves]
    move: dict[tuple[int, str], list[int]] = {}
    for pk, version_id, step, leaves in rows:
        if not leaves:
            move.setdefault((version_id, step), []).append(pk)
    if leave:
        step_runs_record(
            (
                (pk, step, StepOutcome.EXITED.value, ExitReason.PURCHASE.value)
                for pk, step in leave
            ),
            moment,
        )
        enrolments_exit([pk for pk, _s in leave], ExitReason.PURCHASE, moment)
    moved = 0
    for (version_id, step), pks in move.items():
        steps = definition_load(version_id).steps
        step_runs_record(
            ((pk, step, StepOutcome.EVENT.value, "") for pk in pks), moment
        )
        enrolments_move(pks, steps[step].get("next", ""), steps, moment)
        moved += len(pks)
    return len(leave), moved


def purchases_seen(
    plan: PurchasePlan, customer_ids: Sequence[int], *, moment: dt.datetime
) -> tuple[int, int]:
    """Exits on purchase and waits for a purchase for the customers who just
    bought: per chunk of their ids, one locked read through the (customer,
    state) index that returns only the enrolments their purchase changes,
    then the writes for those; nothing is read when no journey switched on
    ends on a purchase or waits for one. (Left, moved on.)"""
    left = moved = 0
    if plan.empty:
        return left, moved
    ids = sorted(customer_ids)
    for start in range(0, len(ids), ID_CHUNK):
        with transaction.atomic():  # locked: a scheduler may move them too
            rows = _changed(ids[start : start + ID_CHUNK], plan)
            if rows:
                gone, on = _apply(rows, moment)
                left, moved = left + gone, moved + on
    return left, moved


def exits_on_purchase(*, moment: dt.datetime, plan: PurchasePlan) -> int:
    """Take out of journeys that end on a purchase everyone who bought since
    entering (wherever they are, a wait included); how many left. (The
    scheduler's pass over all; after orders, :func:`purchases_seen`.)"""
    if not plan.exits:
        return 0
    buying = Enrolment.objects.filter(
        journey_id__in=sorted(plan.exits),
        state=EnrolmentState.ACTIVE,
        customer__last_purchase_at__gt=F("entered_at"),
    )
    with transaction.atomic():
        pairs = list(buying.select_for_update().values_list("pk", "step"))
        if not pairs:
            return 0
        step_runs_record(
            (
                (pk, step, StepOutcome.EXITED.value, ExitReason.PURCHASE.value)
                for pk, step in pairs
            ),
            moment,
        )
        enrolments_exit([pk for pk, _s in pairs], ExitReason.PURCHASE, moment)
    return len(pairs)


def waits_on_purchase(*, moment: dt.datetime, plan: PurchasePlan) -> int:
    """Move on those waiting for a purchase who made one since reaching the
    step; how many. (The scheduler's pass over all.)"""
    moved = 0
    for version_id, step_ids in plan.waits.items():
        steps = definition_load(version_id).steps
        for sid in sorted(step_ids):
            waiting = Enrolment.objects.filter(
                version_id=version_id,
                state=EnrolmentState.ACTIVE,
                step=sid,
                customer__last_purchase_at__gte=F("step_at"),
            )
            with transaction.atomic():
                ids = list(waiting.select_for_update().values_list("pk", flat=True))
                if not ids:
                    continue
                step_runs_record(
                    ((pk, sid, StepOutcome.EVENT.value, "") for pk in ids), moment
                )
                enrolments_move(ids, steps[sid].get("next", ""), steps, moment)
                moved += len(ids)
    return moved


# --- purchase triggers ------------------------------------------------------


def _adapt(moment: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def _entry_rows(
    entries: Sequence[tuple[Journey, str]], moment: dt.datetime
) -> tuple[str, list[Any]]:
    """The purchase-triggered journeys as a small table for a join: id,
    version, entry key, holdout key and share, first step and when it runs,
    since when a purchase counts, and whether only a first one does."""
    rows, params = [], []
    cast = "::timestamptz" if connection.vendor == "postgresql" else ""
    for journey, key in entries:
        assert journey.current_version_id is not None
        definition = definition_load(journey.current_version_id)
        # Who bought in the last day, since the journey was switched on: an
        # import of old orders enrols nobody.
        since = moment - dt.timedelta(days=1)
        if journey.enabled_at is not None and journey.enabled_at > since:
            since = journey.enabled_at
        first_only = definition.trigger["event"] == TriggerEvent.FIRST_PURCHASE
        rows.append(
            f"SELECT %s AS jid, %s AS jversion, %s AS jkey, %s AS jhold, "
            f"%s AS jshare, %s AS jstep, %s{cast} AS jdue, %s{cast} AS jsince, "
            "%s AS jonly"
        )
        params += [
            journey.pk,
            journey.current_version_id,
            key,
            holdout_key(journey.pk),
            journey.holdout_percent * 100,
            definition.first,
            _adapt(arrival_due(definition.steps[definition.first], moment)),
            _adapt(since),
            int(first_only),
        ]
    return " UNION ALL ".join(rows), params


def purchase_enrol(
    entries: Sequence[tuple[Journey, str]],
    customer_ids: Sequence[int],
    *,
    moment: dt.datetime,
) -> int:
    """Enter the customers who just bought into every purchase-triggered
    journey of ``entries`` (journey, entry key) at once, a chunk of ids per
    ``INSERT … SELECT``; how many entered. A purchase (a first purchase)
    counts when made in the last day and since the journey was switched on.
    Whoever is in the journey, or entered it under the key before, is left
    out in the statement itself (before the holdout hash is computed); the
    unique constraints stay the guard against a concurrent writer."""
    if not entries:
        return 0
    journeys, journey_params = _entry_rows(entries, moment)
    table = connection.ops.quote_name(Enrolment._meta.db_table)
    entered = 0
    ids = sorted(customer_ids)
    for start in range(0, len(ids), ID_CHUNK):
        customers, customer_params = (
            customer_rows()
            .filter(pk__in=id_list(ids[start : start + ID_CHUNK]))
            .order_by()
            .annotate(
                jcid=F("pk"), jfirst=F("first_purchase_at"), jlast=F("last_purchase_at")
            )
            .values("jcid", "jfirst", "jlast")
            .query.sql_with_params()
        )
        sql = (
            f"INSERT INTO {table} (journey_id, version_id, customer_id, entry_key, "
            'state, exit_reason, holdout, step, step_at, next_due_at, entered_at, "values") '
            f"SELECT j.jid, j.jversion, c.jcid, j.jkey, %s, '', "
            f"({holdout_sql('c.jcid', key='j.jhold')} < j.jshare), j.jstep, %s, "
            f"j.jdue, %s, '{{}}' FROM ({customers}) c CROSS JOIN ({journeys}) j "
            "WHERE (CASE WHEN j.jonly = 1 THEN c.jfirst ELSE c.jlast END) >= j.jsince "
            f"AND NOT EXISTS (SELECT 1 FROM {table} e WHERE e.journey_id = j.jid "
            "AND e.customer_id = c.jcid AND (e.state = %s OR e.entry_key = j.jkey)) "
            "ON CONFLICT DO NOTHING"
        )
        active = EnrolmentState.ACTIVE.value
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                sql,
                [
                    active,
                    _adapt(moment),
                    _adapt(moment),
                    *customer_params,
                    *journey_params,
                    active,
                ],
            )
            entered += max(int(cursor.rowcount), 0)
    return entered
