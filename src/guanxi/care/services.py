"""Writes of the care app: evaluating the warning signals (after each scoring
run and by ``guanxi warnings run``) and closing a care task with its outcome,
which is recorded on the customer's timeline."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.audit.services import settings_changed
from guanxi.care.checklist import checklist_close, checklist_create
from guanxi.care.choices import LeaveReason, Outcome, Remedy, TaskStatus
from guanxi.care.configuration import settings_parse
from guanxi.care.evaluation import (
    FEEDBACK_KINDS,
    care_settings,
    warning_from_answer,
    warnings_evaluate,
    warnings_on_events,
)
from guanxi.care.models import (
    CareSettings,
    CareSettingsChange,
    CareTask,
    QuadrantThresholds,
    WarningRun,
)
from guanxi.care.selectors import task_get
from guanxi.care.signals import customer_lapsed
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.values import clean_multiline
from guanxi.customers.choices import InteractionKind
from guanxi.customers.selectors import customer_rows
from guanxi.customers.services import interaction_create

__all__ = [
    "care_settings",
    "care_settings_save",
    "checklist_close",
    "checklist_create",
    "customer_lapsed",
    "journey_tasks_create",
    "task_close",
    "warning_from_answer",
    "warnings_after_interactions",
    "warnings_after_orders",
    "warnings_after_run",
    "warnings_evaluate",
    "warnings_on_events",
]

log = logging.getLogger(__name__)

#: The source of the timeline entries a closed task writes.
TIMELINE_SOURCE = "care"


def warnings_after_run(
    sender: Any,
    *,
    run: Any,
    progress: Callable[[str, float], Any] | None = None,
    **kwargs: Any,
) -> WarningRun:
    """Receiver of ``insights.services.run_finished``: evaluate the signals
    as of the run's date."""
    if progress is not None:
        progress("warnings", 0.0)
    result = warnings_evaluate(as_of=run.as_of)
    if progress is not None:
        progress("warnings", 1.0)
    log.info(
        "warnings for %s: %d opened, %d updated, %d closed",
        run.as_of,
        result.opened,
        result.updated,
        result.closed,
    )
    return result


#: The interaction kinds that can change a signal at once (complaints, and
#: texts read for negative feedback).
EVENT_KINDS = frozenset(
    {InteractionKind.COMPLAINT.value, *(str(k) for k in FEEDBACK_KINDS)}
)


def warnings_after_interactions(
    sender: Any, *, customer_ids: Any, kinds: Any = (), **kwargs: Any
) -> None:
    """Receiver of ``customers.services.interactions_written``: a complaint or
    a text from the customer evaluates complaints and negative feedback for
    those customers at once (one evaluation per write)."""
    if not EVENT_KINDS.intersection(kinds):
        return
    opened, updated, _closed = warnings_on_events(
        customer_ids=customer_ids, interactions=True
    )
    log.info("warnings on interactions: %d opened, %d updated", opened, updated)


def warnings_after_orders(sender: Any, *, customer_ids: Any, **kwargs: Any) -> None:
    """Receiver of ``commerce.services.purchases_written``: an open warning of
    a customer who bought after it opened closes as won back."""
    _opened, _updated, closed = warnings_on_events(
        customer_ids=customer_ids, orders=True
    )
    log.info("warnings on orders: %d won back", closed)


def _choice(value: Any, choices: Any, message: str, field: str) -> str:
    text = "" if value is None else str(value).strip()
    if text not in choices.values:
        raise ValidationFailed(message, field=field)
    return text


@transaction.atomic
def task_close(
    *,
    actor: Any,
    task_id: Any,
    outcome: Any,
    leave_reason: Any = "",
    remedy_offered: Any = "",
    note: Any = "",
) -> CareTask:
    """Close an open task in ``actor``'s scope with its outcome, and write it on
    the customer's timeline. Bad input changes nothing."""
    if not policy_for(actor).may_work_care_tasks:
        raise PermissionDenied(_("your role may not work care tasks"))
    task = task_get(actor=actor, pk=task_id)
    task = CareTask.objects.select_for_update().get(pk=task.pk)
    if task.status != TaskStatus.OPEN:
        raise ValidationFailed(_("This task is already closed."))
    outcome_value = _choice(
        outcome, Outcome, _("Choose an outcome: reached or not reached."), "outcome"
    )
    reason = _choice(
        leave_reason or "",
        _WithBlank(LeaveReason),
        _(
            "Unknown reason for leaving: choose price, service, product, "
            "competitor, moved or other."
        ),
        "leave_reason",
    )
    remedy = _choice(
        remedy_offered or "",
        _WithBlank(Remedy),
        _(
            "Unknown remedy: choose coupon, free upgrade, a call from the account "
            "manager or none."
        ),
        "remedy_offered",
    )
    text = clean_multiline(note, field="note")
    task.status = TaskStatus.DONE
    task.outcome = outcome_value
    task.leave_reason = reason
    task.remedy_offered = remedy
    task.note = text
    task.closed_at = timezone.now()
    task.closed_by = actor
    task.save(
        update_fields=[
            "status", "outcome", "leave_reason", "remedy_offered", "note",
            "closed_at", "closed_by",
        ]
    )  # fmt: skip
    interaction_create(
        actor=actor,
        customer=task.customer_id,
        kind=InteractionKind.NOTE,
        occurred_at=task.closed_at,
        note=_timeline_text(task),
        source=TIMELINE_SOURCE,
        external_id=f"task-{task.pk}",
    )
    return task


def journey_tasks_create(
    *,
    customer_ids: list[int],
    note: str,
    due_on: dt.date,
    now: dt.datetime | None = None,
) -> int:
    """One open task per customer for a journey's step, with ``note`` as what
    to do: the account manager's, else the service team's; how many."""
    if not customer_ids:
        return 0
    moment = now or timezone.now()
    managers = dict(
        customer_rows()
        .filter(pk__in=customer_ids)
        .values_list("pk", "assigned_manager_id")
        .order_by()
    )
    CareTask.objects.bulk_create(
        [
            CareTask(
                warning=None,
                customer_id=pk,
                owner_id=managers.get(pk),
                status=TaskStatus.OPEN,
                due_on=due_on,
                remedy="",
                instructions=note,
                created_at=moment,
            )
            for pk in customer_ids
            if pk in managers
        ],
        batch_size=1000,
    )
    return len(managers)


class _WithBlank:
    """A choices class whose values also allow "" (not given)."""

    def __init__(self, choices: Any) -> None:
        self.values = ["", *choices.values]


def _timeline_text(task: CareTask) -> str:
    """The closed task in words, in the closer's language."""
    parts = [
        _("Care task closed: %(outcome)s.") % {"outcome": Outcome(task.outcome).label}
    ]
    if task.leave_reason:
        parts.append(
            _("Reason for leaving: %(reason)s.")
            % {"reason": LeaveReason(task.leave_reason).label}
        )
    if task.remedy_offered:
        parts.append(
            _("Remedy offered: %(remedy)s.")
            % {"remedy": Remedy(task.remedy_offered).label}
        )
    if task.note:
        parts.append(task.note)
    return "\n".join(parts)


def care_settings_save(*, actor: Any, values: Any) -> CareSettingsChange | None:
    """Save the care settings and each quadrant's own thresholds from the
    settings page's text (admins only). Any wrong field: nothing saved,
    :class:`~guanxi.care.configuration.SettingsRejected` lists them all. The
    change recorded (who, when, old and new values), or None if nothing
    changed."""
    if not policy_for(actor).may_administer:
        raise PermissionDenied(_("Only administrators may do this."))
    found, quadrants = settings_parse(values)
    with transaction.atomic():
        current = CareSettings.objects.select_for_update().filter(pk=1).first()
        if current is None:
            current = CareSettings(pk=1)
        changes: dict[str, list[Any]] = {}
        for name, value in found.items():
            if getattr(current, name) != value:
                changes[name] = [getattr(current, name), value]
                setattr(current, name, value)
        current.save()
        stored = {row.quadrant: row for row in QuadrantThresholds.objects.all()}
        for quadrant, own in quadrants.items():
            row = stored.get(quadrant) or QuadrantThresholds(quadrant=quadrant)
            for name, value in own.items():
                if getattr(row, name) != value:
                    changes[f"{quadrant}.{name}"] = [getattr(row, name), value]
                    setattr(row, name, value)
            if all(value is None for value in own.values()):
                if row.pk is not None:
                    row.delete()
            else:
                row.save()
        if not changes:
            return None
        change = CareSettingsChange.objects.create(changed_by=actor, changes=changes)
        settings_changed(actor=actor, settings="care", fields=changes)
        return change
