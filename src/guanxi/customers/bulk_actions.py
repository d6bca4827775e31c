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

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.bulk import adapt_datetime
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.values import parse_id
from guanxi.customers.choices import BulkKind, BulkStatus, CustomerChangeKind, TagSource
from guanxi.customers.listing import list_query, list_queryset
from guanxi.customers.models import (
    BulkAction,
    Customer,
    CustomerChange,
    CustomerTag,
    Tag,
)
from guanxi.customers.selectors import assignable_managers, customer_scope
from guanxi.customers.tagging import tag_counts_refresh

__all__ = [
    "BULK_CHUNK",
    "MAX_SELECTED",
    "bulk_action_confirm",
    "bulk_action_get",
    "bulk_action_prepare",
    "bulk_action_run",
]

log = logging.getLogger(__name__)

#: Customers per chunk (one transaction) of a run.
BULK_CHUNK = 2_000
#: The most customers one may tick; more go through "every customer matching".
MAX_SELECTED = 1_000


def _check_role(actor: Any, kind: str) -> None:
    policy = policy_for(actor)
    if kind == BulkKind.ASSIGN and not policy.may_assign_manager:
        raise PermissionDenied(_("your role may not assign account managers"))
    if kind in (BulkKind.TAG, BulkKind.UNTAG) and not policy.may_tag_customers:
        raise PermissionDenied(_("your role may not tag customers"))


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
    _check_role(actor, kind_value)
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
    from guanxi.customers.tasks import bulk_action_run_task

    _check_role(actor, action.kind)
    with transaction.atomic():
        claimed = BulkAction.objects.filter(
            pk=action.pk, actor_id=actor.pk, status=BulkStatus.PENDING
        ).update(status=BulkStatus.QUEUED)
        if claimed:
            transaction.on_commit(lambda: bulk_action_run_task(action.pk))
    action.refresh_from_db()
    return action


def _targets(action: BulkAction) -> QuerySet[Customer]:
    """The action's customers in its actor's scope now."""
    if action.everyone_matching:
        return list_queryset(action.query, actor=action.actor)
    return customer_scope(actor=action.actor).filter(pk__in=action.customer_ids)


def bulk_action_run(*, action_id: int) -> None:
    """Run a queued action chunk by chunk (the task worker's entry point);
    an action not queued is left alone."""
    claimed = BulkAction.objects.filter(pk=action_id, status=BulkStatus.QUEUED).update(
        status=BulkStatus.RUNNING
    )
    if not claimed:
        return
    action = BulkAction.objects.select_related("actor").get(pk=action_id)
    try:
        _check_role(action.actor, action.kind)
        targets = _targets(action).order_by("pk").values_list("pk", flat=True)
        last = 0
        while True:
            ids = list(targets.filter(pk__gt=last)[:BULK_CHUNK])
            if not ids:
                break
            with transaction.atomic():
                changed = _apply(action, ids)
                BulkAction.objects.filter(pk=action.pk).update(
                    done=F("done") + len(ids), changed=F("changed") + changed
                )
            last = ids[-1]
        if action.tag_id is not None:
            tag_counts_refresh(tag_ids=[action.tag_id])
        status = BulkStatus.DONE
    except Exception:
        log.exception("bulk action %s failed", action_id)
        status = BulkStatus.FAILED
    BulkAction.objects.filter(pk=action_id).update(
        status=status, finished_at=timezone.now()
    )


def _apply(action: BulkAction, ids: list[int]) -> int:
    """Do the action to these customers (one chunk); how many it changed."""
    qn = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(ids))
    links = qn(CustomerTag._meta.db_table)
    customers = qn(Customer._meta.db_table)
    now = timezone.now()
    with connection.cursor() as cursor:
        if action.kind == BulkKind.TAG:
            cursor.execute(
                f"INSERT INTO {links} (customer_id, tag_id, source, added_by_id, "
                f"added_at) SELECT id, %s, %s, %s, %s FROM {customers} "
                f"WHERE id IN ({marks}) ON CONFLICT DO NOTHING",
                [
                    action.tag_id,
                    TagSource.MANUAL,
                    action.actor_id,
                    adapt_datetime(now),
                    *ids,
                ],
            )
            return max(cursor.rowcount, 0)
        if action.kind == BulkKind.UNTAG:
            cursor.execute(
                f"DELETE FROM {links} WHERE tag_id = %s AND customer_id IN ({marks})",
                [action.tag_id, *ids],
            )
            return max(cursor.rowcount, 0)
    # Assign: the timeline records each change, as one assignment does.
    moving = list(
        Customer.objects.filter(pk__in=ids)
        .exclude(assigned_manager_id=action.manager_id)
        .values_list("pk", flat=True)
    )
    if not moving:
        return 0
    CustomerChange.objects.bulk_create(
        [
            CustomerChange(
                customer_id=pk,
                kind=CustomerChangeKind.ASSIGNED,
                fields=[],
                actor_id=action.actor_id,
                manager_id=action.manager_id,
                changed_at=now,
            )
            for pk in moving
        ]
    )
    return Customer.objects.filter(pk__in=moving).update(
        assigned_manager_id=action.manager_id, updated_at=now
    )
