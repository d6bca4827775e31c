"""Which customers a user may see, as a rule each app applies to its own queryset.

Scope is decided per customer. A record that belongs to a customer (an order, an
interaction, and later a task, a message or a ticket) is in scope exactly when
its customer is, so no app writes "own customers only" again: access decides the
rule here, and the app that owns a table applies it in its selector::

    # customers/selectors.py
    def customer_scope(*, actor):
        return scope_for(actor).apply(Customer.objects.all())

    # commerce/selectors.py — orders reach their customer through ``customer``
    def order_scope(*, actor):
        return scope_for(actor).apply(Order.objects.all(), via="customer")

A new app with a table that points at customers does the same in its own
``selectors.py`` (``via`` is the path of lookups from that table to the
customer, ``"ticket__customer"`` for a ticket's messages) and builds every list,
detail, search, count and export of that table on it. Never filter on
``assigned_manager`` anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, QuerySet

__all__ = ["CustomerScope"]

_M = TypeVar("_M", bound=Model)

#: The customer field that says whose customer it is (its account manager).
MANAGER_FIELD = "assigned_manager_id"


@dataclass(frozen=True, kw_only=True)
class CustomerScope:
    """Every customer (``everyone``), only those assigned to ``manager_id``, or
    none (neither: a user without a role)."""

    everyone: bool
    manager_id: int | None = None

    def __post_init__(self) -> None:
        if self.everyone and self.manager_id is not None:
            raise ValueError("a scope of every customer names no manager")

    @property
    def nobody(self) -> bool:
        """True when the user may see no customer at all."""
        return not self.everyone and self.manager_id is None

    @property
    def cache_key(self) -> str:
        """Equal for users who see the same customers, so they may share a cache
        of figures about them (``all``, ``user-<id>`` or ``none``).

        It says nothing about how the customers look: a cache that holds names
        or contact fields must also key on the policy's ``contact_view``.
        """
        if self.everyone:
            return "all"
        if self.manager_id is None:
            return "none"
        return f"user-{self.manager_id}"

    def apply(self, queryset: QuerySet[_M], *, via: str = "") -> QuerySet[_M]:
        """``queryset`` narrowed to the rows whose customer is in scope.

        ``via`` is the lookup path from the queryset's model to the customer
        (empty for customers themselves).
        """
        if self.everyone:
            return queryset
        if self.manager_id is None:
            return queryset.none()
        field = f"{via}__{MANAGER_FIELD}" if via else MANAGER_FIELD
        return queryset.filter(**{field: self.manager_id})
