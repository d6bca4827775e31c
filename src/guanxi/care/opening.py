"""A daily evaluation's writing, set-based: what every signal finds goes into
a temporary table by one ``INSERT … SELECT`` per signal, with the signal's
details already as JSON text; the new warnings, the signals added to open
warnings and the new warnings' tasks are then one statement each. No row
comes back to Python but the texts of negative feedback (scored in Python)
and one count per manager.

The signals' JSON is built by the database character for character as
``json.dumps`` writes it (:mod:`guanxi.care.sqltext`; the per-row path,
:func:`guanxi.care.writing.apply_fired`, still serves events and survey
answers, and the tests compare both, row for row). The rules are the same:
one open warning per customer, a new signal adds to it, a customer given up
on (lapsed) is not warned again before buying; each new warning gets its task
(the account manager's, else the service team's in turn) with the daily cap
and spill-over of :mod:`guanxi.care.assignment`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    IntegerField,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from guanxi.care.assignment import Plan, tasks_place, tasks_plan
from guanxi.care.choices import Priority, Remedy, Signal, TaskStatus, WarningStatus
from guanxi.care.firing import (
    complaints_found,
    drop_found,
    feedback_found,
    quiet_found,
    quiet_widest,
    snapshot_found,
    start_of,
)
from guanxi.care.models import CareTask, ChurnWarning
from guanxi.care.sqltext import int_text, modulo, rounded_text
from guanxi.care.thresholds import Thresholds
from guanxi.customers.selectors import customer_rows
from guanxi.insights.choices import Quadrant
from guanxi.insights.selectors import snapshot_rows

__all__ = ["warnings_open_all"]

#: The order of a warning's signals in its JSON (the order they are found).
_ORDER = (
    Signal.NO_PURCHASE, Signal.PAST_RHYTHM, Signal.LOW_P_ALIVE, Signal.CHURN_RISK,
    Signal.QUIET, Signal.ACTIVITY_DROP, Signal.COMPLAINTS, Signal.NEGATIVE_FEEDBACK,
)  # fmt: skip
_MADE_GOOD = (Signal.COMPLAINTS, Signal.NEGATIVE_FEEDBACK)
_TEMP = (
    "care_tmp_fired", "care_tmp_found", "care_tmp_days", "care_tmp_turns",
    "care_tmp_members", "care_tmp_placed",
)  # fmt: skip


def _q(name: str) -> str:
    return str(connection.ops.quote_name(name))


def _table(model: Any) -> str:
    return _q(model._meta.db_table)


def _execute(sql: str, params: Sequence[Any] = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return int(cursor.rowcount)


def _text(value: str) -> str:
    """A string constant of the statement (JSON punctuation, no quote)."""
    assert "'" not in value and "%" not in value
    return f"'{value}'"


def _head(signal: Signal, stamp: str) -> str:
    """The start of a signal's JSON text up to its first detail."""
    return f'"{signal.value}": {{"as_of": "{stamp}", '


def warnings_open_all(
    day: dt.date, limits: Thresholds, *, since: dt.date | None
) -> tuple[int, int]:
    """Every signal as of ``day`` (the scoring run of ``day``): new warnings
    with their tasks, new signals added to open warnings. The counts (opened,
    updated). Runs inside the evaluation's transaction."""
    _drop_temp()
    try:
        _create_temp()
        _find(day, limits, since=since)
        _collect()
        updated = _add_to_open(day)
        opened = _open_new(day)
        if opened:
            _open_tasks(day, limits)
        return opened, updated
    finally:
        _drop_temp()


def _create_temp() -> None:
    date = "DATE"
    flag = "BOOLEAN"
    for ddl in (
        "care_tmp_fired (customer_id BIGINT NOT NULL, ord INTEGER NOT NULL, "
        "frag TEXT NOT NULL)",
        "care_tmp_found (customer_id BIGINT PRIMARY KEY, signals TEXT NOT NULL, "
        "made_good INTEGER NOT NULL, is_new INTEGER NOT NULL)",
        f"care_tmp_days (manager BIGINT NOT NULL, lo BIGINT NOT NULL, due {date} "
        "NOT NULL, PRIMARY KEY (manager, lo))",
        f"care_tmp_turns (id INTEGER PRIMARY KEY, lo BIGINT NOT NULL UNIQUE, due {date} "
        "NOT NULL, period INTEGER NOT NULL)",
        "care_tmp_members (block INTEGER NOT NULL, pos INTEGER NOT NULL, "
        "owner BIGINT NOT NULL, PRIMARY KEY (block, pos))",
        f"care_tmp_placed (customer_id BIGINT PRIMARY KEY, owner BIGINT, due {date} "
        f"NOT NULL, rr {flag} NOT NULL, seq INTEGER NOT NULL)",
    ):
        _execute(f"CREATE TEMPORARY TABLE {ddl}")


def _drop_temp() -> None:
    for name in _TEMP:
        _execute(f"DROP TABLE IF EXISTS {name}")


def _insert_found(signal: Signal, rows: QuerySet[Any], frag: str) -> None:
    """``INSERT … SELECT`` of one signal's customers and JSON text (``frag``
    over the columns of ``rows``, the subquery ``q``)."""
    sql, params = rows.order_by().query.sql_with_params()
    _execute(
        f"INSERT INTO care_tmp_fired (customer_id, ord, frag) "
        f"SELECT q.customer_id, {_ORDER.index(signal)}, {frag} FROM ({sql}) q",
        params,
    )


def _find(day: dt.date, limits: Thresholds, *, since: dt.date | None) -> None:
    stamp = day.isoformat()
    for signal, rows, fields in snapshot_found(day, limits):
        head = _text(_head(signal, stamp))
        if signal is Signal.NO_PURCHASE:
            frag = f"{head} || '\"days\": ' || {int_text('q.days')} || '}}'"
            picked = rows.values("customer_id", days=F(fields[0]))
        elif signal is Signal.PAST_RHYTHM:
            frag = (
                f"{head} || '\"days\": ' || {int_text('q.days')} || ', \"gap\": ' || "
                f"{rounded_text('q.gap', 1)} || ', \"k\": ' || q.k || '}}'"
            )
            picked = rows.annotate(
                k=_per_quadrant(limits, "rhythm_factor", lambda v: repr(float(v)))
            ).values("customer_id", "k", days=F(fields[0]), gap=F(fields[1]))
        else:
            name = "p_alive" if signal is Signal.LOW_P_ALIVE else "risk"
            frag = f"{head} || '\"{name}\": ' || {rounded_text('q.v', 4)} || '}}'"
            picked = rows.values("customer_id", v=F(fields[0]))
        _insert_found(signal, picked, frag)
    end = start_of(day + dt.timedelta(days=1))
    widest = quiet_widest(limits)
    quiet = quiet_found(day, limits, end=end).annotate(
        days=Case(
            *[
                When(last__gte=start_of(day - dt.timedelta(days=back)), then=back)
                for back in range(widest + 1)
            ],
            default=Value(widest + 1),
            output_field=IntegerField(),
        )
    )
    _insert_found(
        Signal.QUIET,
        quiet.values("customer_id", "days"),
        f"{_text(_head(Signal.QUIET, stamp))} || '\"days\": ' || "
        f"{int_text('q.days')} || '}}'",
    )
    _insert_found(
        Signal.ACTIVITY_DROP,
        drop_found(day, limits, end=end),
        f"{_text(_head(Signal.ACTIVITY_DROP, stamp))} || '\"this_week\": ' || "
        f"{int_text('q.this_week')} || ', \"last_week\": ' || "
        f"{int_text('q.last_week')} || '}}'",
    )
    _insert_found(
        Signal.COMPLAINTS,
        complaints_found(day, limits, end=end, scores_day=day),
        f"{_text(_head(Signal.COMPLAINTS, stamp))} || '\"count\": ' || "
        f'{int_text("q.n")} || \', "month": "{day:%Y-%m}"}}\'',
    )
    # Negative texts are few and scored in Python: written as json.dumps does.
    found = feedback_found(day, limits, since=since, end=end, scores_day=day)
    key = Signal.NEGATIVE_FEEDBACK
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO care_tmp_fired (customer_id, ord, frag) VALUES (%s, %s, %s)",
            [
                (
                    customer_id,
                    _ORDER.index(key),
                    f"{json.dumps(key.value)}: "
                    f"{json.dumps({'as_of': stamp, **details})}",
                )
                for customer_id, details in found
            ],
        )


def _per_quadrant(limits: Thresholds, field: str, text: Any) -> Any:
    """A threshold of the customer's quadrant as text (``text`` of the
    value), a ``CASE`` over the snapshot's quadrant."""
    base = Value(text(limits.get(field, None)), output_field=CharField())
    whens = [
        When(quadrant=quadrant, then=Value(text(value), output_field=CharField()))
        for quadrant, value in sorted(limits.overrides.get(field, {}).items())
    ]
    return Case(*whens, default=base, output_field=CharField()) if whens else base


def _collect() -> None:
    """One row per customer: the signals found as one JSON object (in the
    order they are found), and whether one calls for making good."""
    parts = " || ".join(
        f"coalesce(', ' || max(CASE WHEN ord = {i} THEN frag END), '')"
        for i in range(len(_ORDER))
    )
    good = ", ".join(str(_ORDER.index(s)) for s in _MADE_GOOD)
    _execute(
        "INSERT INTO care_tmp_found (customer_id, signals, made_good, is_new) "
        f"SELECT customer_id, '{{' || substr({parts}, 3) || '}}', "
        f"max(CASE WHEN ord IN ({good}) THEN 1 ELSE 0 END), 0 "
        "FROM care_tmp_fired GROUP BY customer_id"
    )


def _json(expr: str) -> str:
    return f"CAST({expr} AS JSONB)" if connection.vendor == "postgresql" else expr


def _add_to_open(day: dt.date) -> int:
    """New signals added to the customers' open warnings (the queries left
    out the signals a warning has). SQLite: the text as ``json.dumps`` of the
    merged dict writes it, the new signals after the old."""
    warnings = _table(ChurnWarning)
    if connection.vendor == "postgresql":
        merged = f"{warnings}.signals || CAST(f.signals AS JSONB)"
    else:
        old = f"{warnings}.signals"
        merged = (
            f"CASE WHEN {old} = '{{}}' THEN f.signals ELSE substr({old}, 1, "
            f"length({old}) - 1) || ', ' || substr(f.signals, 2) END"
        )
    return _execute(
        f"UPDATE {warnings} SET signals = {merged}, as_of = %s, updated_at = %s "
        "FROM care_tmp_found f WHERE f.customer_id = "
        f"{warnings}.customer_id AND {warnings}.status = %s",
        [
            connection.ops.adapt_datefield_value(day),
            connection.ops.adapt_datetimefield_value(timezone.now()),
            WarningStatus.OPEN.value,
        ],
    )


def _open_new(day: dt.date) -> int:
    """A warning for each customer found without an open warning, unless
    given up on (lapsed, no purchase since that warning opened), in customer
    order."""
    warnings = _table(ChurnWarning)
    bought = snapshot_rows(as_of=day)
    snapshots = _table(bought.model)
    _execute(
        f"UPDATE care_tmp_found SET is_new = 1 WHERE NOT EXISTS (SELECT 1 FROM "
        f"{warnings} w WHERE w.customer_id = care_tmp_found.customer_id AND "
        f"w.status = %s) AND NOT EXISTS (SELECT 1 FROM {warnings} l WHERE "
        "l.customer_id = care_tmp_found.customer_id AND l.status = %s AND NOT "
        f"EXISTS (SELECT 1 FROM {snapshots} s WHERE s.customer_id = l.customer_id "
        "AND s.as_of = %s AND s.last_purchase > l.opened_as_of))",
        [
            WarningStatus.OPEN.value,
            WarningStatus.LAPSED.value,
            connection.ops.adapt_datefield_value(day),
        ],
    )
    stamp = connection.ops.adapt_datefield_value(day)
    moment = connection.ops.adapt_datetimefield_value(timezone.now())
    return _execute(
        f"INSERT INTO {warnings} (customer_id, status, signals, opened_as_of, as_of, "
        f"opened_at, updated_at, closed_at) SELECT customer_id, %s, "
        f"{_json('signals')}, %s, %s, %s, %s, NULL FROM care_tmp_found "
        "WHERE is_new = 1 ORDER BY customer_id",
        [WarningStatus.OPEN.value, stamp, stamp, moment, moment],
    )


def _open_tasks(day: dt.date, limits: Thresholds) -> None:
    """One task per new warning, written in the order they are placed (most
    urgent first, then by customer), so the next turn goes on after the last
    one: priority from value and risk, remedy from value and reason, owner and
    due day from the plan of :func:`guanxi.care.assignment.tasks_plan`."""
    config = limits.config
    due_on = day + dt.timedelta(days=config.task_due_days)
    warnings = _table(ChurnWarning)
    customers = _table(customer_rows().model)
    snapshots = _table(snapshot_rows(as_of=day).model)
    high = f"'{Quadrant.STAR.value}', '{Quadrant.CASH_COW.value}'"
    base = (
        f"CASE WHEN s.quadrant IN ({high}) THEN {Priority.HIGH.value} "
        f"WHEN s.quadrant = '{Quadrant.POTENTIAL.value}' THEN {Priority.NORMAL.value} "
        f"ELSE {Priority.LOW.value} END"
    )
    # Bases are 2 to 4: one step more urgent never passes URGENT (1).
    priority = (
        f"CASE WHEN s.churn_risk IS NOT NULL AND s.churn_risk >= %s "
        f"THEN {base} - 1 ELSE {base} END"
    )
    remedy = (
        f"CASE WHEN s.quadrant IN ({high}) THEN '{Remedy.MANAGER_CALL.value}' "
        f"WHEN f.made_good = 1 THEN '{Remedy.FREE_UPGRADE.value}' "
        f"ELSE '{Remedy.COUPON.value}' END"
    )
    new = (
        f"SELECT w.id AS warning_id, f.customer_id AS customer_id, "
        f"c.assigned_manager_id AS manager, {priority} AS priority, "
        f"{remedy} AS remedy FROM care_tmp_found f JOIN {warnings} w ON "
        f"w.customer_id = f.customer_id AND w.status = %s JOIN {customers} c ON "
        f"c.id = f.customer_id LEFT JOIN {snapshots} s ON s.customer_id = "
        "f.customer_id AND s.as_of = %s WHERE f.is_new = 1"
    )
    new_params: list[Any] = [
        config.churn_risk_from,
        WarningStatus.OPEN.value,
        connection.ops.adapt_datefield_value(day),
    ]
    counts: dict[int | None, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT manager, count(*) FROM ({new}) t GROUP BY manager", new_params
        )
        for manager, n in cursor.fetchall():
            counts[manager] = int(n)
    by_turn = counts.pop(None, 0)
    managed = {int(m): n for m, n in counts.items() if m is not None}
    plan = tasks_plan(due_on=due_on, managed=managed, by_turn=by_turn)
    columns, tail, tail_params = _task_columns()
    moment = connection.ops.adapt_datetimefield_value(timezone.now())
    head = (
        f"INSERT INTO {_table(CareTask)} ({', '.join(_q(c) for c in columns)}) "
        "SELECT warning_id, customer_id, owner, rr, %s, priority, due, remedy, %s, 1"
        f"{tail} FROM "
    )
    head_params = [TaskStatus.OPEN.value, moment]
    if plan is None:
        _place_one_by_one(new, new_params, due_on)
        body = (
            "(SELECT t.*, p.owner AS owner, p.rr AS rr, p.due AS due, p.seq AS seq "
            f"FROM ({new}) t JOIN care_tmp_placed p ON p.customer_id = "
            "t.customer_id) x ORDER BY seq"
        )
        _execute(head + body, [*head_params, *tail_params, *new_params])
        return
    _write_plan(plan)
    ranked = (
        "SELECT t.*, row_number() OVER (PARTITION BY manager ORDER BY priority, "
        f"customer_id) - 1 AS j FROM ({new}) t"
    )
    blocked = (
        "SELECT r.*, CASE WHEN r.manager IS NULL THEN (SELECT b.id FROM "
        "care_tmp_turns b WHERE b.lo <= r.j ORDER BY b.lo DESC LIMIT 1) END AS "
        "block, CASE WHEN r.manager IS NOT NULL THEN (SELECT d.due FROM "
        "care_tmp_days d WHERE d.manager = r.manager AND d.lo <= r.j ORDER BY "
        f"d.lo DESC LIMIT 1) END AS mdue FROM ({ranked}) r"
    )
    placed = (
        "(SELECT z.warning_id, z.customer_id, z.priority, z.remedy, "
        "CASE WHEN z.manager IS NOT NULL THEN z.manager ELSE m.owner END AS owner, "
        "CASE WHEN m.owner IS NOT NULL THEN %s ELSE %s END AS rr, "
        "coalesce(z.mdue, b.due, %s) AS due "
        f"FROM ({blocked}) z LEFT JOIN care_tmp_turns b ON b.id = z.block "
        "LEFT JOIN care_tmp_members m ON m.block = b.id AND m.pos = "
        f"{modulo('z.j - b.lo', 'b.period')}) x ORDER BY priority, customer_id"
    )
    _execute(
        head + placed,
        [
            *head_params,
            *tail_params,
            True,
            False,
            connection.ops.adapt_datefield_value(due_on),
            *new_params,
        ],
    )


def _task_columns() -> tuple[list[str], str, list[Any]]:
    """The task columns the statement fills, and the rest with their
    defaults (as ``, %s`` each and the values)."""
    columns = [
        "warning_id", "customer_id", "owner_id", "round_robin", "status",
        "priority", "due_on", "remedy", "created_at", "step",
    ]  # fmt: skip
    rest: list[str] = []
    values: list[Any] = []
    for field in CareTask._meta.concrete_fields:
        if field.column in columns or field.primary_key:
            continue
        rest.append(str(field.column))
        values.append(field.get_db_prep_save(field.get_default(), connection))
    return columns + rest, "".join(", %s" for _ in rest), values


def _write_plan(plan: Plan) -> None:
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO care_tmp_days (manager, lo, due) VALUES (%s, %s, %s)",
            [(m, lo, adapt(d)) for m, lo, d in plan.days],
        )
        cursor.executemany(
            "INSERT INTO care_tmp_turns (id, lo, due, period) VALUES (%s, %s, %s, %s)",
            [(i, lo, adapt(d), len(ms)) for i, (lo, d, ms) in enumerate(plan.turns)],
        )
        cursor.executemany(
            "INSERT INTO care_tmp_members (block, pos, owner) VALUES (%s, %s, %s)",
            [
                (i, pos, owner)
                for i, (_lo, _d, members) in enumerate(plan.turns)
                for pos, owner in enumerate(members)
            ],
        )


def _place_one_by_one(new: str, params: list[Any], due_on: dt.date) -> None:
    """A manager also in the team: the placement task by task
    (:func:`guanxi.care.assignment.tasks_place`), written to the temporary
    table the tasks' statement reads."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT customer_id, manager, priority FROM ({new}) t "
            "ORDER BY customer_id",
            params,
        )
        rows = cursor.fetchall()
    placements = tasks_place(
        due_on=due_on,
        managers=[row[1] for row in rows],
        priorities=[int(row[2]) for row in rows],
    )
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO care_tmp_placed (customer_id, owner, due, rr, seq) "
            "VALUES (%s, %s, %s, %s, %s)",
            [
                (rows[p.index][0], p.owner_id, adapt(p.due_on), p.round_robin, seq)
                for seq, p in enumerate(placements)
            ],
        )
