"""Bulk actions on the customer list: tag, untag or assign an account manager
for a selection of customers or for every customer matching the list's
filters, confirmed first, then run in the task worker with progress.

Scope is applied to every id, at confirmation (the count shown is of the
customers in the actor's scope) and again at run time: a selection that holds
another manager's customer touches only the actor's own. The run goes in
chunks of :data:`BULK_CHUNK` customers, each one transaction of set-based
statements that also moves the progress counters, so the page shows them
while it runs. Every chunk may run twice without harm (tagging a tagged
customer, untagging an untagged one, assigning the same manager change
nothing), so a run cut short can be confirmed again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.values import parse_id
from guanxi.customers.bulk_runs import BULK_CHUNK, bulk_action_check_role
from guanxi.customers.choices import BulkKind, BulkStatus
from guanxi.customers.listing import list_query, list_queryset
from guanxi.customers.models import (
    BulkAction,
    Tag,
)
from guanxi.customers.selectors import assignable_managers, customer_scope
from guanxi.customers.tasks import bulk_action_run_task

__all__ = [
    "BULK_CHUNK",
    "MAX_SELECTED",
    "bulk_action_confirm",
    "bulk_action_get",
    "bulk_action_prepare",
]

log = logging.getLogger(__name__)

#: The most customers one may tick; more go through "every customer matching".
MAX_SELECTED = 1_000


def _selected_ids(values: Iterable[Any]) -> list[int]:
    ids: set[int] = set()
    for value in values:
        number = parse_id(value)
        if number is None:
            raise ValidationFailed(
                _("the selection holds something that is not a customer")
            )
        ids.add(number)
    if not ids:
        raise ValidationFailed(
            _("select at least one customer, or choose every customer matching")
        )
    if len(ids) > MAX_SELECTED:
        raise ValidationFailed(
            _(
                "at most %(n)s customers can be ticked; choose every customer "
                "matching the filters instead"
            )
            % {"n": f"{MAX_SELECTED:,}"}
        )
    return sorted(ids)


def _tag(value: Any) -> Tag:
    number = parse_id(value)
    tag = Tag.objects.filter(pk=number).first() if number is not None else None
    if tag is None:
        raise ValidationFailed(_("choose a tag"), field="tag")
    if tag.automatic:
        raise ValidationFailed(
            _("automatic tags are set by the scoring run, not by hand"), field="tag"
        )
    return tag


def _manager(value: Any) -> Any:
    number = parse_id(value)
    manager = assignable_managers().filter(pk=number).first() if number else None
    if manager is None:
        raise ValidationFailed(
            _("choose an account manager from the list"), field="manager"
        )
    return manager


@transaction.atomic
def bulk_action_prepare(
    *,
    actor: Any,
    kind: Any,
    tag: Any = None,
    manager: Any = None,
    ids: Iterable[Any] = (),
    everyone_matching: bool = False,
    params: Mapping[str, Any] | None = None,
) -> BulkAction:
    """Check a bulk action and count the customers it will touch (those of the
    selection, or every customer matching the list's filters ``params``, in
    ``actor``'s scope); it waits for its confirmation
    (:func:`bulk_action_confirm`)."""
    kind_value = str(kind or "")
    if kind_value not in BulkKind.values:
        raise ValidationFailed(
            _(
                "choose what to do: add a tag, remove a tag or assign an account manager"
            ),
            field="kind",
        )
    bulk_action_check_role(actor, kind_value)
    action = BulkAction(actor=actor, kind=kind_value)
    if kind_value == BulkKind.ASSIGN:
        action.manager = _manager(manager)
    else:
        action.tag = _tag(tag)
    if everyone_matching:
        action.everyone_matching = True
        action.query = list_query(params or {})
        action.total = list_queryset(action.query, actor=actor).order_by().count()
    else:
        selected = _selected_ids(ids)
        action.customer_ids = list(
            customer_scope(actor=actor)
            .filter(pk__in=selected)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        action.total = len(action.customer_ids)
    if not action.total:
        raise ValidationFailed(_("no customer of yours is in this selection"))
    action.save()
    return action


def bulk_action_get(*, actor: Any, pk: Any) -> BulkAction:
    """One of ``actor``'s bulk actions; anyone else's is not found."""
    number = parse_id(pk)
    found = (
        BulkAction.objects.select_related("tag", "manager")
        .filter(pk=number, actor_id=getattr(actor, "pk", None))
        .first()
        if number is not None and policy_for(actor).active
        else None
    )
    if found is None:
        raise NotFound(_("bulk action not found"))
    return found


def bulk_action_confirm(*, actor: Any, action: BulkAction) -> BulkAction:
    """Queue the action (after commit); confirming twice queues it once."""
    bulk_action_check_role(actor, action.kind)
    with transaction.atomic():
        claimed = BulkAction.objects.filter(
            pk=action.pk, actor_id=actor.pk, status=BulkStatus.PENDING
        ).update(status=BulkStatus.QUEUED)
        if claimed:
            transaction.on_commit(lambda: bulk_action_run_task(action.pk))
    action.refresh_from_db()
    return action
