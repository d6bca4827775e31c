"""Running a confirmed bulk action (in the task worker): chunk by chunk, each
chunk one transaction of set-based statements that also moves the progress
counters (see :mod:`guanxi.customers.bulk_actions`)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.audit.services import manager_assigned
from guanxi.core.bulk import adapt_datetime
from guanxi.core.errors import PermissionDenied
from guanxi.customers.choices import BulkKind, BulkStatus, CustomerChangeKind, TagSource
from guanxi.customers.listing import list_queryset
from guanxi.customers.models import BulkAction, Customer, CustomerChange, CustomerTag
from guanxi.customers.selectors import customer_scope
from guanxi.customers.tagging import tag_counts_refresh

__all__ = ["BULK_CHUNK", "bulk_action_check_role", "bulk_action_run"]

log = logging.getLogger(__name__)

#: Customers per chunk (one transaction) of a run.
BULK_CHUNK = 2_000


def bulk_action_check_role(actor: Any, kind: str) -> None:
    """Raise :class:`PermissionDenied` unless ``actor``'s role may do ``kind``."""
    policy = policy_for(actor)
    if kind == BulkKind.ASSIGN and not policy.may_assign_manager:
        raise PermissionDenied(_("your role may not assign account managers"))
    if kind in (BulkKind.TAG, BulkKind.UNTAG) and not policy.may_tag_customers:
        raise PermissionDenied(_("your role may not tag customers"))


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
        bulk_action_check_role(action.actor, action.kind)
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
            return max(int(cursor.rowcount), 0)
        if action.kind == BulkKind.UNTAG:
            cursor.execute(
                f"DELETE FROM {links} WHERE tag_id = %s AND customer_id IN ({marks})",
                [action.tag_id, *ids],
            )
            return max(int(cursor.rowcount), 0)
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
    manager_assigned(
        actor=action.actor,
        manager_id=action.manager_id,
        count=len(moving),
        via="bulk",
        bulk_id=action.pk,
    )
    return Customer.objects.filter(pk__in=moving).update(
        assigned_manager_id=action.manager_id, updated_at=now
    )
