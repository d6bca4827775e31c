"""Erasure of one customer (a data-subject request or the retention limit):
the registry's erasers in one transaction, orders moved to a tombstone, the
keyed hashes of phone and e-mail kept so the person stays out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.audit.services import AuditAction, record
from guanxi.core.crypto import blind_index_key_id
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.personal_data import registered
from guanxi.customers.selectors import customer_rows
from guanxi.customers.services import (
    customer_contact_indexes,
    customer_tombstone_create,
)
from guanxi.feedback.selectors import inbound_triage_for_email
from guanxi.feedback.services import inbound_triage_delete
from guanxi.privacy.choices import ContactKind, ErasureCause
from guanxi.privacy.models import DataRequest, ErasedContact, Erasure

__all__ = [
    "TRIAGE_LABEL",
    "ErasureResult",
    "customer_check",
    "customer_email",
    "customer_erase",
    "dsar_check",
]

#: Where a data-subject export lists the person's e-mails in the feedback
#: triage (with those that opened or joined their tickets).
TRIAGE_LABEL = "feedback.InboundMail"


def customer_email(customer_id: int) -> str | None:
    """The customer's e-mail address (decrypted), or None."""
    row = customer_rows().filter(pk=customer_id).values_list("email", flat=True)
    return next(iter(row), None)


def dsar_check(actor: Any) -> None:
    """Data-subject requests are the administrators' (they see everything a
    request returns). ``None`` is the command line (the operator)."""
    if actor is not None and not policy_for(actor).may_administer:
        raise PermissionDenied(
            _("Only administrators may handle data-subject requests.")
        )


def customer_check(customer_id: int) -> int:
    if not customer_rows().filter(pk=customer_id).exists():
        raise NotFound(_("There is no customer number %(id)s.") % {"id": customer_id})
    if Erasure.objects.filter(tombstone_id=customer_id).exists():
        raise ValidationFailed(
            _(
                "Customer number %(id)s stands in for an erased customer's "
                "orders: it holds no personal data."
            )
            % {"id": customer_id}
        )
    return customer_id


@dataclass(frozen=True)
class ErasureResult:
    customer: int
    tombstone: int
    orders_pseudonymised: int
    rows_deleted: int

    def as_dict(self) -> dict[str, Any]:
        """The command line's ``--json`` object."""
        return {
            "customer": self.customer,
            "orders_pseudonymised": self.orders_pseudonymised,
            "erased": True,
        }


@transaction.atomic
def customer_erase(
    *,
    customer_id: int,
    actor: Any,
    via: str,
    cause: str = ErasureCause.REQUEST,
    request: DataRequest | None = None,
) -> ErasureResult:
    """Erase one customer (see the module's docstring); one transaction."""
    dsar_check(actor)
    customer_check(customer_id)
    phone_index, email_index = customer_contact_indexes(customer_id)
    triage = [
        int(row["id"])
        for row in inbound_triage_for_email(email=customer_email(customer_id))
    ]
    tombstone = customer_tombstone_create(customer_id=customer_id)
    orders = deleted = 0
    for entry in registered():
        if isinstance(entry.erase, str):  # CASCADE or KEEP: nothing to call
            continue
        changed = entry.erase(customer_id, tombstone)
        # The orders' eraser moves them (kept, pseudonymised); the rest delete.
        if entry.label == "commerce.Order":
            orders += changed
        else:
            deleted += changed
    # Their e-mails in the feedback triage (no customer's, found by address).
    deleted += inbound_triage_delete(ids=triage)
    key_id = blind_index_key_id()  # the key the indexes were just hashed with
    for kind, digest in (
        (ContactKind.PHONE, phone_index),
        (ContactKind.EMAIL, email_index),
    ):
        if digest:
            ErasedContact.objects.get_or_create(
                kind=kind, digest=digest, defaults={"key_id": key_id}
            )
    user = actor if getattr(actor, "pk", None) is not None else None
    Erasure.objects.create(
        customer_id=customer_id,
        tombstone_id=tombstone,
        orders_pseudonymised=orders,
        rows_deleted=deleted,
        cause=cause,
        request=request,
        erased_by=user,
    )
    record(
        action=AuditAction.PRIVACY_ERASED,
        actor=actor,
        customer_id=customer_id,
        object_type="customer",
        object_id=tombstone,
        details={"via": via, "kind": str(cause), "count": orders, "rows": deleted},
    )
    return ErasureResult(
        customer=customer_id,
        tombstone=tombstone,
        orders_pseudonymised=orders,
        rows_deleted=deleted,
    )
