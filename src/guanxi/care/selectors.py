"""Reads of warnings and care tasks, scoped: an account manager sees the
tasks of their own customers; service and admins the team's; other roles
none."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from guanxi.access.policies import policy_for, scope_for
from guanxi.care.checklist import checklist_inbox
from guanxi.care.choices import Signal, TaskStatus
from guanxi.care.configuration import field_label
from guanxi.care.models import (
    CareScript,
    CareSettings,
    CareSettingsChange,
    CareTask,
    ChurnWarning,
    QuadrantThresholds,
)
from guanxi.care.words import DEFAULT_SCRIPTS
from guanxi.core.errors import NotFound

__all__ = [
    "care_follow_up",
    "care_script",
    "care_settings_changes",
    "care_settings_current",
    "checklist_inbox",
    "task_get",
    "task_inbox",
    "task_inbox_count",
    "task_scope",
    "warning_scope",
]


def task_scope(*, actor: Any) -> QuerySet[CareTask]:
    """The tasks ``actor`` may see: of customers in scope, and their own
    unless they work the team's tasks."""
    policy = policy_for(actor)
    rows = CareTask.objects.all()
    if not policy.may_work_care_tasks:
        return rows.none()
    rows = scope_for(actor).apply(rows, via="customer")
    if not policy.works_team_care_tasks:
        rows = rows.filter(owner_id=actor.pk)
    return rows


def warning_scope(*, actor: Any) -> QuerySet[ChurnWarning]:
    """The warnings of customers ``actor`` may see (for roles that work tasks)."""
    if not policy_for(actor).may_work_care_tasks:
        return ChurnWarning.objects.none()
    return scope_for(actor).apply(ChurnWarning.objects.all(), via="customer")


def task_inbox(*, actor: Any, today: dt.date, team: bool = False) -> QuerySet[CareTask]:
    """Open tasks due today or overdue, most urgent first: the actor's own, or
    (``team``, for roles that work the team's tasks) everyone's."""
    rows = task_scope(actor=actor).filter(status=TaskStatus.OPEN, due_on__lte=today)
    if not (team and policy_for(actor).works_team_care_tasks):
        rows = rows.filter(owner_id=actor.pk)
    return rows.select_related("warning", "customer", "owner").order_by(
        "priority", "due_on", "pk"
    )


def task_inbox_count(*, actor: Any, today: dt.date) -> int:
    """How many of the actor's own tasks are due today or overdue."""
    if not policy_for(actor).may_work_care_tasks:
        return 0
    return task_inbox(actor=actor, today=today).count()


def task_get(*, actor: Any, pk: Any) -> CareTask:
    """One task in scope, or :class:`NotFound` (outside scope looks the same)."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise NotFound("no such task") from None
    found = (
        task_scope(actor=actor)
        .select_related("warning", "customer", "owner")
        .filter(pk=number)
        .first()
    )
    if found is None:
        raise NotFound("no such task")
    return found


def care_follow_up(*, language: str, step: int = 2) -> str:
    """The words of the plan's ``step`` (2 to 5) in ``language``: its own, or
    the nearest earlier step's when its own are blank."""
    found = CareSettings.objects.filter(pk=1).first() or CareSettings(pk=1)
    suffix = "zh" if language.startswith("zh") else "en"
    for n in range(min(step, 5), 2, -1):
        text = str(getattr(found, f"step{n}_{suffix}"))
        if text:
            return text
    return str(getattr(found, f"follow_up_{suffix}"))


def care_script(*, signal: str, language: str) -> str:
    """The suggested words for ``signal`` in ``language`` (an admin's edit, or
    the seed default)."""
    row = CareScript.objects.filter(signal=signal).first()
    chinese = language.startswith("zh")
    if row is not None:
        return row.text_zh if chinese else row.text_en
    zh, en = DEFAULT_SCRIPTS.get(signal, DEFAULT_SCRIPTS[Signal.NO_PURCHASE])
    return zh if chinese else en


def care_settings_current() -> tuple[CareSettings, dict[str, QuadrantThresholds]]:
    """The settings (defaults until saved) and the quadrants with their own
    thresholds."""
    config = CareSettings.objects.filter(pk=1).first() or CareSettings(pk=1)
    return config, {row.quadrant: row for row in QuadrantThresholds.objects.all()}


def care_settings_changes(*, limit: int) -> list[dict[str, Any]]:
    """The latest changes of the settings: when, who, which values."""
    rows = []
    for change in CareSettingsChange.objects.select_related("changed_by")[:limit]:
        fields = []
        for key, (old, new) in sorted(change.changes.items()):
            quadrant, _dot, name = key.rpartition(".")
            label = field_label(name, quadrant) if name in _FIELD_NAMES else key
            fields.append({"label": label, "old": old, "new": new})
        rows.append(
            {
                "at": change.changed_at,
                "by": change.changed_by.get_username() if change.changed_by else "",
                "fields": fields,
            }
        )
    return rows


_FIELD_NAMES = {f.name for f in CareSettings._meta.get_fields()}
