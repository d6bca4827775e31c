"""A care task as the inbox shows it: who, why in plain words, what to say
and offer, in the reader's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import get_language

from guanxi.access.policies import Policy
from guanxi.care.choices import SIGNAL_ORDER, Priority, Remedy
from guanxi.care.models import CareTask
from guanxi.care.selectors import care_follow_up, care_script
from guanxi.care.words import signal_reason
from guanxi.customers.presenters import customer_card

__all__ = ["task_row"]


def task_row(
    task: CareTask,
    *,
    policy: Policy,
    today: dt.date,
    scripts: dict[tuple[str, str], str] | None = None,
) -> dict[str, Any]:
    """What one task of the inbox shows, ready to print. ``scripts`` keeps the
    scripts read for a page of rows (one query per signal, not per row)."""
    if task.warning is None:  # a journey's task: its own instructions
        return _journey_task_row(task, policy=policy, today=today)
    signals = task.warning.signals
    keys = [s.value for s in SIGNAL_ORDER if s.value in signals]
    main = keys[0] if keys else "no_purchase"
    language = get_language() or "zh-hans"
    known = scripts if scripts is not None else {}
    key = (main if task.step <= 1 else f"step{min(task.step, 5)}", language)
    if key not in known:
        known[key] = (
            care_script(signal=main, language=language)
            if task.step <= 1
            else care_follow_up(language=language, step=task.step)
        )
    return {
        "pk": task.pk,
        "card": customer_card(task.customer, policy=policy, tags=[]),
        "priority": task.priority,
        "priority_label": Priority(task.priority).label,
        "due_on": task.due_on,
        "overdue": task.due_on < today,
        "reasons": [signal_reason(key, signals[key]) for key in keys],
        "script": known[key],
        "step": task.step,
        "remedy": task.remedy,
        "remedy_label": Remedy(task.remedy).label,
        "owner": task.owner.get_username() if task.owner is not None else "",
    }


def _journey_task_row(
    task: CareTask, *, policy: Policy, today: dt.date
) -> dict[str, Any]:
    return {
        "pk": task.pk,
        "card": customer_card(task.customer, policy=policy, tags=[]),
        "priority": task.priority,
        "priority_label": Priority(task.priority).label,
        "due_on": task.due_on,
        "overdue": task.due_on < today,
        "reasons": [],
        "script": task.instructions,
        "step": task.step,
        "remedy": task.remedy,
        "remedy_label": Remedy(task.remedy).label if task.remedy else "",
        "owner": task.owner.get_username() if task.owner is not None else "",
    }
