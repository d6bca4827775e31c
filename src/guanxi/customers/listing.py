"""The customer list's query string: which parameters it has, and checking
one before it is kept (a saved view) or acted on (a bulk action on every
customer matching it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed
from guanxi.customers.filtersets import CustomerFilterSet
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_scope, customer_sorted

__all__ = ["LIST_PARAMETERS", "MAX_QUERY", "list_query", "list_queryset"]

#: Everything a customer list's query string may hold besides its page cursor.
LIST_PARAMETERS: tuple[str, ...] = (*CustomerFilterSet.base_filters, "sort")
#: The longest query string kept.
MAX_QUERY = 1000


def list_query(params: Mapping[str, Any]) -> str:
    """The list's query string made of ``params``: the known parameters with a
    value, in a fixed order. Raises :class:`ValidationFailed` with the list's
    own message when a value is bad."""
    kept = QueryDict(mutable=True)
    for name in LIST_PARAMETERS:
        value = str(params.get(name) or "").strip()
        if value:
            kept[name] = value
    filterset = CustomerFilterSet(kept, queryset=Customer.objects.none())
    customer_sorted(filterset.qs, kept.get("sort", ""))
    query = kept.urlencode()
    if len(query) > MAX_QUERY:
        raise ValidationFailed(
            _("these filters are too long to keep (at most %(n)d characters)")
            % {"n": MAX_QUERY}
        )
    return query


def list_queryset(query: str, *, actor: Any) -> QuerySet[Customer]:
    """The customers in ``actor``'s scope that the list with this query string
    shows (every page of it)."""
    params = QueryDict(query)
    filterset = CustomerFilterSet(
        params, queryset=customer_scope(actor=actor), request=_Request(actor)
    )
    found: QuerySet[Customer] = filterset.qs
    return found


class _Request:
    """What the filter set reads of a request: who asks."""

    def __init__(self, user: Any) -> None:
        self.user = user
