"""A customer erased (data-subject erasure, retention): the tombstone that
keeps their orders for the books, and the deletion of the profile.

The tombstone is a customer row with no name, phone, e-mail, address,
birthday, city or gender: the purchase aggregates of the erased customer
(the same orders move to it), so every total and analytics figure stays as
it was. The caller (``guanxi.privacy``) runs both in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from guanxi.customers.models import Customer, CustomerTag, Interaction
from guanxi.customers.search import email_key, phone_key
from guanxi.customers.tagging import tag_counts_refresh

__all__ = [
    "customer_contact_indexes",
    "customer_erase_rows",
    "customer_tombstone_create",
]


def customer_contact_indexes(customer_id: int) -> tuple[str | None, str | None]:
    """The customer's phone and e-mail blind indexes under the current key
    (what a suppression list keeps of an erased person), or ``(None, None)``.
    Computed from the values, not read from the stored indexes: while a
    blind-index rotation runs those may still be under the retired key."""
    customer = Customer.objects.filter(pk=customer_id).only("phone", "email").first()
    if customer is None:
        return None, None
    return phone_key(customer.phone), email_key(customer.email)


@transaction.atomic
def customer_tombstone_create(*, customer_id: int) -> int:
    """A new customer row standing in for ``customer_id`` in the books: its
    purchase aggregates and first-seen time, nothing personal. Its id."""
    source = Customer.objects.only(
        "first_seen_at",
        "purchase_total",
        "purchase_count",
        "first_purchase_at",
        "last_purchase_at",
        "created_at",
    ).get(pk=customer_id)
    tombstone = Customer.objects.create(
        first_seen_at=source.first_seen_at,
        purchase_total=source.purchase_total,
        purchase_count=source.purchase_count,
        first_purchase_at=source.first_purchase_at,
        last_purchase_at=source.last_purchase_at,
    )
    return int(tombstone.pk)


@transaction.atomic
def customer_erase_rows(customer_id: int, tombstone_id: int = 0) -> int:
    """Delete the customer with their tags, identities, interactions and
    change history (and, by cascade, their scores, warnings and tasks); the
    tags' counts follow. The number of customer rows deleted (0 or 1)."""
    tag_ids = list(
        CustomerTag.objects.filter(customer_id=customer_id).values_list(
            "tag_id", flat=True
        )
    )
    deleted = Customer.objects.filter(pk=customer_id).delete()[1]
    if tag_ids:
        tag_counts_refresh(tag_ids=tag_ids)
    return int(deleted.get(Customer._meta.label, 0))


#: Rows per statement of a retention purge (bounded statements, not one that
#: locks a table for minutes).
PURGE_CHUNK = 1000


def interactions_purge(*, before: dt.datetime, dry_run: bool) -> int:
    """Delete the interactions that happened before ``before`` (retention);
    the number (that would go, on a dry run)."""
    old = Interaction.objects.filter(occurred_at__lt=before)
    if dry_run:
        return old.count()
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(old.order_by("pk").values_list("pk", flat=True)[:PURGE_CHUNK])
            if not ids:
                return deleted
            deleted += Interaction.objects.filter(pk__in=ids).delete()[0]


def customers_inactive(
    *, before: dt.datetime, exclude: Iterable[int] | QuerySet[Any], limit: int
) -> list[int]:
    """Up to ``limit`` customers with no sign of life since ``before``: first
    seen before it, no purchase and no interaction since. Oldest first;
    ``exclude`` (ids, or a query of ids) is left out."""
    recent = Interaction.objects.filter(
        customer_id=OuterRef("pk"), occurred_at__gte=before
    )
    return list(
        Customer.objects.filter(
            Q(last_purchase_at__isnull=True) | Q(last_purchase_at__lt=before),
            Q(first_seen_at__lt=before)
            | Q(first_seen_at__isnull=True, created_at__lt=before),
        )
        .exclude(Exists(recent))
        .exclude(pk__in=exclude)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
