"""Writes of the coupons app: coupon definitions, issuing coupons to many
customers at once, redeeming them with orders, and the co-purchase pairs.

Issuing is set-based (a journey issues to thousands at once) and idempotent
per (definition, customer, source, source key): a retry issues nothing twice
and answers with the codes issued the first time.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.coupons.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CouponDefinition,
    IssuedCoupon,
)
from guanxi.coupons.pairs import product_pairs_compute
from guanxi.coupons.redemption import (
    CouponRedeemer,
    CouponState,
    coupon_code_parse,
    coupons_redeem,
)
from guanxi.customers.selectors import customer_rows

__all__ = [
    "CouponRedeemer",
    "CouponState",
    "IssueResult",
    "coupon_code_new",
    "coupon_code_parse",
    "coupon_definition_save",
    "coupon_definitions_ensure",
    "coupons_issue",
    "coupons_manage_check",
    "coupons_redeem",
    "pairs_after_run",
    "product_pairs_compute",
]

#: Customers handled per round of queries while issuing.
ISSUE_CHUNK = 900


def coupons_manage_check(*, actor: Any) -> None:
    """Coupons are marketing actions: the roles that may send to a segment
    (admins and operations) define and issue them."""
    if not policy_for(actor).may_send_broadcasts:
        raise PermissionDenied(_("your role may not manage coupons"))


def coupon_code_new() -> str:
    """A fresh code: 10 symbols of an alphabet without 0/O/1/I, from the
    operating system's random source."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@transaction.atomic
def coupon_definition_save(
    *, actor: Any, values: dict[str, Any], definition: CouponDefinition | None = None
) -> CouponDefinition:
    """Create or change a coupon definition from clean values (the form's)."""
    coupons_manage_check(actor=actor)
    target = definition if definition is not None else CouponDefinition()
    for name, value in values.items():
        setattr(target, name, value)
    if target.kind == "percent" and target.value > 100:
        raise ValidationFailed(
            _("a percentage must be between 0 and 100"), field="value"
        )
    if (target.expires_on is None) == (target.valid_days is None):
        raise ValidationFailed(
            _("give either an expiry date or a number of valid days"),
            field="expires_on",
        )
    if CouponDefinition.objects.filter(slug=target.slug).exclude(pk=target.pk).exists():
        raise ValidationFailed(
            _("a coupon with this slug exists already"), field="slug"
        )
    target.save()
    return target


def coupon_definitions_ensure(*, rows: Iterable[dict[str, Any]]) -> list[str]:
    """Add the coupon definitions of ``rows`` (model values by name) whose
    slug is missing, switched off (shipped with the journeys' playbooks, for
    an admin to look at and switch on); a definition of the same slug is
    left alone. The slugs added."""
    added = []
    with transaction.atomic():
        for values in rows:
            if CouponDefinition.objects.filter(slug=values["slug"]).exists():
                continue
            CouponDefinition.objects.create(**{**values, "active": False})
            added.append(str(values["slug"]))
    return added


def expiry_for(definition: CouponDefinition, issued_at: dt.datetime) -> dt.datetime:
    """When a coupon of ``definition`` issued at ``issued_at`` stops being valid:
    the start of the day after its fixed expiry date (local time), or
    ``valid_days`` after issue."""
    if definition.expires_on is not None:
        zone = ZoneInfo(settings.TIME_ZONE)
        day = definition.expires_on + dt.timedelta(days=1)
        return dt.datetime(day.year, day.month, day.day, tzinfo=zone)
    return issued_at + dt.timedelta(days=definition.valid_days or 0)


@dataclass
class IssueResult:
    """What one issue did: how many coupons were new, how many customers had
    one under this key already, how many were at the per-customer limit or
    unknown; and the code of every customer who holds one under this key."""

    issued: int = 0
    already: int = 0
    at_limit: int = 0
    unknown: int = 0
    codes: dict[int, str] = field(default_factory=dict)


def coupons_issue(
    *,
    definition: CouponDefinition,
    customer_ids: Iterable[int],
    source: str,
    source_key: str = "",
    now: dt.datetime | None = None,
) -> IssueResult:
    """Issue a coupon of ``definition`` to each customer of ``customer_ids``
    (in one transaction), unless they hold one under ``(source, source_key)``
    already or reached the definition's per-customer limit.

    The caller decides who (scope, consent, holdout); unknown ids are counted
    and skipped. Raises :class:`ValidationFailed` for a switched-off coupon.
    """
    if not definition.active:
        raise ValidationFailed(_("this coupon is switched off"))
    if not source or len(source) > 80 or len(source_key) > 128:
        raise ValidationFailed(_("not a valid coupon source"), field="source")
    moment = now or timezone.now()
    expires_at = expiry_for(definition, moment)
    if expires_at <= moment:
        raise ValidationFailed(_("this coupon has expired"))
    ids = sorted({int(i) for i in customer_ids})
    result = IssueResult()
    with transaction.atomic():
        for start in range(0, len(ids), ISSUE_CHUNK):
            _issue_chunk(
                definition,
                ids[start : start + ISSUE_CHUNK],
                source=source,
                source_key=source_key,
                issued_at=moment,
                expires_at=expires_at,
                result=result,
            )
    return result


def _issue_chunk(
    definition: CouponDefinition,
    chunk: list[int],
    *,
    source: str,
    source_key: str,
    issued_at: dt.datetime,
    expires_at: dt.datetime,
    result: IssueResult,
) -> None:
    known = set(customer_rows().filter(pk__in=chunk).values_list("pk", flat=True))
    result.unknown += len(chunk) - len(known)
    for attempt in range(3):
        mine = IssuedCoupon.objects.filter(definition=definition, customer_id__in=known)
        held = dict(
            mine.filter(source=source, source_key=source_key)
            .order_by()
            .values_list("customer_id", "code")
        )
        counts = dict(
            mine.order_by()
            .values("customer_id")
            .annotate(n=Count("id"))
            .values_list("customer_id", "n")
        )
        limit = definition.per_customer_limit
        new = [c for c in sorted(known) if c not in held and counts.get(c, 0) < limit]
        # In random order: the coupons' ids then tell nothing of the order of
        # the customers' numbers (analysts see customers by pseudonym).
        secrets.SystemRandom().shuffle(new)
        rows = [
            IssuedCoupon(
                definition=definition,
                customer_id=c,
                code=coupon_code_new(),
                source=source,
                source_key=source_key,
                issued_at=issued_at,
                expires_at=expires_at,
            )
            for c in new
        ]
        try:
            with transaction.atomic():
                IssuedCoupon.objects.bulk_create(rows, batch_size=500)
        except IntegrityError:
            # Another issue with the same key at the same moment, or (once in
            # 10^15) a code drawn twice: read again and draw new codes.
            if attempt == 2:
                raise
            continue
        result.issued += len(rows)
        result.already += len(held)
        result.at_limit += len(known) - len(held) - len(new)
        result.codes.update(held)
        result.codes.update({row.customer_id: row.code for row in rows})
        return


def pairs_after_run(
    sender: Any, *, run: Any, queue: bool = False, **kwargs: Any
) -> None:
    """Receiver of ``insights.services.run_finished``: the co-purchase pairs
    from the orders as they are now, if any purchase changed since they were
    last computed. With ``queue`` (the run's caller lets follow-up work wait)
    they are queued for the task worker after commit, and the run does not
    wait for them."""
    if queue:
        from guanxi.coupons.tasks import product_pairs_task

        transaction.on_commit(lambda: product_pairs_task())
        return
    product_pairs_compute(only_if_changed=True)
