"""The seed handbook's maintenance checklist (appendix 1) as recurring tasks:
each person gets their role's items (``Policy.care_checklist``) once per
period, in their inbox, until they tick them off.

A periodic task makes the current period's tasks every hour; the database's
unique (owner, item, period start) makes a second run add nothing. Making a
period's task marks the same item's earlier open tasks of that person as
missed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.choices import Role
from guanxi.access.policies import policy_for, role_policy
from guanxi.access.selectors import staff_list
from guanxi.care.choices import (
    CHECKLIST_PERIOD,
    ChecklistItem,
    ChecklistStatus,
    Period,
)
from guanxi.care.models import ChecklistTask
from guanxi.core.errors import NotFound, ValidationFailed

__all__ = [
    "checklist_close",
    "checklist_create",
    "checklist_inbox",
    "period_start",
]


def period_start(period: Period, day: dt.date) -> dt.date:
    """The first day of the period ``day`` is in (weeks start on Monday)."""
    if period == Period.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if period == Period.MONTH:
        return day.replace(day=1)
    if period == Period.QUARTER:
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day


def checklist_create(*, today: dt.date) -> int:
    """Make the current period's checklist tasks of every active user whose
    role has items; how many were new."""
    wanted: list[ChecklistTask] = []
    for role in Role:
        items = role_policy(role).care_checklist
        if not items:
            continue
        people = list(
            staff_list()
            .filter(is_active=True, is_superuser=False, staff_profile__role=role)
            .values_list("pk", flat=True)
        )
        for item in items:
            start = period_start(CHECKLIST_PERIOD[item], today)
            wanted += [
                ChecklistTask(owner_id=pk, item=item, period_start=start)
                for pk in people
            ]
    if not wanted:
        return 0
    with transaction.atomic():
        before = ChecklistTask.objects.count()
        ChecklistTask.objects.bulk_create(wanted, ignore_conflicts=True, batch_size=500)
        for item in ChecklistItem:
            start = period_start(CHECKLIST_PERIOD[item], today)
            ChecklistTask.objects.filter(
                item=item, status=ChecklistStatus.OPEN, period_start__lt=start
            ).update(status=ChecklistStatus.MISSED)
        return ChecklistTask.objects.count() - before


def checklist_inbox(*, actor: Any) -> QuerySet[ChecklistTask]:
    """The actor's own open checklist tasks (only their own: nobody sees
    another person's checklist)."""
    if not policy_for(actor).active:
        return ChecklistTask.objects.none()
    return ChecklistTask.objects.filter(
        owner_id=actor.pk, status=ChecklistStatus.OPEN
    ).order_by("period_start", "item", "pk")


@transaction.atomic
def checklist_close(*, actor: Any, pk: Any) -> ChecklistTask:
    """Tick off one of the actor's own open checklist tasks; another person's
    task is answered as if it did not exist."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise NotFound("no such checklist task") from None
    task = (
        ChecklistTask.objects.select_for_update()
        .filter(pk=number, owner_id=actor.pk)
        .first()
    )
    if task is None or not policy_for(actor).active:
        raise NotFound("no such checklist task")
    if task.status != ChecklistStatus.OPEN:
        raise ValidationFailed(_("This checklist task is already closed."))
    task.status = ChecklistStatus.DONE
    task.closed_at = timezone.now()
    task.save(update_fields=["status", "closed_at"])
    return task
