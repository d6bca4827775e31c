"""Writing what events and survey answers found, row by row: a new warning
(and its first task) for each newly warned customer, new signals added to the
open warning; one open warning per customer and signal set. (A daily
evaluation writes the same set-based: :mod:`guanxi.care.opening`.)"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone

from guanxi.care.assignment import tasks_place
from guanxi.care.batches import CHUNK, rows_of
from guanxi.care.choices import (
    Priority,
    Remedy,
    Signal,
    TaskStatus,
    WarningStatus,
)
from guanxi.care.firing import Fired
from guanxi.care.models import CareSettings, CareTask, ChurnWarning
from guanxi.core.bulk import RowWriter, datetime_adapter
from guanxi.customers.selectors import customer_rows
from guanxi.insights.choices import Quadrant
from guanxi.insights.selectors import snapshot_rows

__all__ = ["TASK_COLUMNS", "apply_fired"]

_HIGH_VALUE = frozenset({Quadrant.STAR.value, Quadrant.CASH_COW.value})
_BASE_PRIORITY: dict[str, int] = {
    Quadrant.STAR.value: Priority.HIGH.value,
    Quadrant.CASH_COW.value: Priority.HIGH.value,
    Quadrant.POTENTIAL.value: Priority.NORMAL.value,
}
#: Signals whose remedy is a free upgrade (the service made good).
_MADE_GOOD = (Signal.COMPLAINTS.value, Signal.NEGATIVE_FEEDBACK.value)
# Plain values, looked up once (an enum member's .value is a Python-level
# descriptor call: millions of them at a million customers).
_OPEN_WARNING = WarningStatus.OPEN.value
_OPEN_TASK = TaskStatus.OPEN.value
_URGENT = Priority.URGENT.value
_LOW = Priority.LOW.value
_MANAGER_CALL = Remedy.MANAGER_CALL.value
_FREE_UPGRADE = Remedy.FREE_UPGRADE.value
_COUPON = Remedy.COUPON.value


def _lapsed_quiet(day: dt.date, customer_ids: Sequence[int]) -> set[int]:
    """Customers given up on (a lapsed warning) who have not bought since that
    warning opened: no new warning until they do."""
    bought = snapshot_rows(as_of=day).filter(
        customer_id=OuterRef("customer_id"), last_purchase__gt=OuterRef("opened_as_of")
    )
    lapsed = ChurnWarning.objects.filter(status=WarningStatus.LAPSED).exclude(
        Exists(bought)
    )
    return {row[0] for row in rows_of(lapsed, customer_ids, "customer_id")}


def apply_fired(
    day: dt.date, fired: Fired, config: CareSettings, *, scores_day: dt.date
) -> tuple[int, int]:
    """Open a warning (and its task) for each newly warned customer; add new
    signals to open warnings. The counts (opened, updated)."""
    stamp = day.isoformat()
    ids = sorted(fired)
    given_up = _lapsed_quiet(scores_day, ids)
    current: dict[int, tuple[int, dict[str, Any]]] = {
        customer_id: (pk, signals)
        for customer_id, pk, signals in rows_of(
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
        changed, ["signals", "as_of", "updated_at"], batch_size=CHUNK
    )
    _open_tasks(day, new, config, now, scores_day=scores_day)
    return len(new), len(changed)


@dataclass
class _NewWarning:
    customer_id: int
    signals: dict[str, dict[str, Any]]
    pk: int = 0


_WARNING_COLUMNS = (
    "customer", "status", "signals", "opened_as_of", "as_of", "opened_at",
    "updated_at", "closed_at",
)  # fmt: skip
TASK_COLUMNS = (
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
    stamp = day.isoformat()
    for warning, pk in zip(new, writer.reserve(len(new)), strict=True):
        warning.pk = pk
    dumps = json.dumps
    writer.insert(
        (
            (
                w.pk, w.customer_id, _OPEN_WARNING, dumps(w.signals), stamp, stamp,
                moment, moment, None,
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
    managers.update(rows_of(customer_rows(), ids, "pk", "assigned_manager_id"))
    for customer_id, quadrant, risk in rows_of(
        snapshot_rows(as_of=scores_day), ids, "customer_id", "quadrant", "churn_risk"
    ):
        scores[customer_id] = (quadrant, risk)
    first_due = day + dt.timedelta(days=config.task_due_days)
    moment = datetime_adapter()(now)
    risky_from = config.churn_risk_from
    priorities: list[int] = []
    remedies: list[str] = []
    for warning in warnings:
        quadrant, risk = scores.get(warning.customer_id, ("", None))
        priority = _BASE_PRIORITY.get(quadrant, _LOW)
        if risk is not None and risk >= risky_from:
            priority = max(_URGENT, priority - 1)
        priorities.append(priority)
        remedies.append(_remedy(quadrant, warning.signals))
    # The daily cap with spill-over (guanxi.care.assignment), most urgent first.
    placements = tasks_place(
        due_on=first_due,
        managers=[managers.get(w.customer_id) for w in warnings],
        priorities=priorities,
    )
    days: dict[dt.date, str] = {}
    rows = []
    for place in placements:
        index = place.index
        warning = warnings[index]
        due_on = days.get(place.due_on)
        if due_on is None:
            due_on = days[place.due_on] = place.due_on.isoformat()
        rows.append(
            (
                warning.pk, warning.customer_id, place.owner_id, place.round_robin,
                _OPEN_TASK, priorities[index], due_on, remedies[index], moment, 1,
            )
        )  # fmt: skip
    RowWriter(CareTask, TASK_COLUMNS).insert(rows)


def _remedy(quadrant: str, signals: dict[str, Any]) -> str:
    """High-value customers get a call from their manager; a complaint or
    negative feedback a free upgrade (the service made good); everyone else a
    coupon (seed handbook 000, 2.4: 专属折扣、免费升级)."""
    if quadrant in _HIGH_VALUE:
        return _MANAGER_CALL
    if _MADE_GOOD[0] in signals or _MADE_GOOD[1] in signals:
        return _FREE_UPGRADE
    return _COUPON
