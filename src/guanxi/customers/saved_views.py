"""Saved views: a person's named customer lists (reads and writes).

A saved view is only ever its owner's: listed, opened and deleted by them;
anyone else's is answered as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.values import parse_id
from guanxi.customers.listing import list_query
from guanxi.customers.models import SavedView

__all__ = [
    "MAX_SAVED_VIEWS",
    "saved_view_create",
    "saved_view_delete",
    "saved_view_list",
]

#: The most views one person keeps.
MAX_SAVED_VIEWS = 50


def saved_view_list(*, actor: Any) -> QuerySet[SavedView]:
    """``actor``'s saved views, by name (nobody else's)."""
    if not policy_for(actor).active:
        return SavedView.objects.none()
    return SavedView.objects.filter(owner_id=actor.pk).order_by("name")


@transaction.atomic
def saved_view_create(*, actor: Any, name: Any, params: Mapping[str, Any]) -> SavedView:
    """Keep the customer list filtered by ``params`` as ``actor``'s view
    ``name``. The filters are checked as the list checks them."""
    if not policy_for(actor).active:
        raise PermissionDenied(_("your account has no role yet"))
    text = " ".join(str(name or "").split())
    if not text:
        raise ValidationFailed(_("give the view a name"), field="name")
    if len(text) > 64:
        raise ValidationFailed(
            _("the name is too long (at most 64 characters)"), field="name"
        )
    query = list_query(params)
    mine = SavedView.objects.filter(owner_id=actor.pk)
    if mine.filter(name=text).exists():
        raise ValidationFailed(
            _("You already have a view with this name."), field="name"
        )
    if mine.count() >= MAX_SAVED_VIEWS:
        raise ValidationFailed(
            _("you have %(n)d saved views already; delete one first")
            % {"n": MAX_SAVED_VIEWS}
        )
    try:
        with transaction.atomic():
            return SavedView.objects.create(owner=actor, name=text, query=query)
    except IntegrityError:
        raise ValidationFailed(
            _("You already have a view with this name."), field="name"
        ) from None


@transaction.atomic
def saved_view_delete(*, actor: Any, pk: Any) -> None:
    """Delete ``actor``'s view ``pk``; anyone else's is not found."""
    number = parse_id(pk)
    view = (
        saved_view_list(actor=actor).filter(pk=number).first()
        if number is not None
        else None
    )
    if view is None:
        raise NotFound(_("saved view not found"))
    view.delete()
