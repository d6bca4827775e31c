"""Redeeming coupons with orders: the checks every new order with a code goes
through (the order import's ``coupon`` column, the orders API's ``coupon``
field), and the write that marks the coupons redeemed.

A :class:`CouponRedeemer` serves one write (an import, a bulk request): it
reads the states of a batch's codes in one query, refuses a code with one of
the exact messages below, remembers the codes this write already used, and
records the redemptions with the orders' ids.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import BigIntegerField, Case, DateTimeField, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.bulk import utc_text
from guanxi.core.errors import ValidationFailed
from guanxi.coupons.models import CODE_ALPHABET, CODE_LENGTH, IssuedCoupon

__all__ = ["CouponRedeemer", "CouponState", "coupon_code_parse", "coupons_redeem"]

_SEPARATORS = re.compile(r"[\s\-_]+")
_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
#: Codes read per query.
_CHUNK = 900


def coupon_code_parse(value: Any) -> str:
    """A coupon code as typed (any case, spaces or dashes between groups) in
    its stored form; raises :class:`ValidationFailed` for anything that cannot
    be one."""
    text = _SEPARATORS.sub("", str(value)).upper()
    if not _CODE.fullmatch(text):
        raise ValidationFailed(_("not a coupon code (10 letters and digits)"))
    return text


@dataclass(frozen=True, slots=True)
class CouponState:
    """What a redemption check needs to know of one issued coupon."""

    pk: int
    customer_id: int
    minimum_spend: Decimal
    expires_at: dt.datetime
    redeemed_order_id: int | None


def _expiry_day(moment: dt.datetime) -> str:
    """The last day a coupon expiring at ``moment`` was good for (local)."""
    last = timezone.localtime(moment) - dt.timedelta(microseconds=1)
    return last.date().isoformat()


class CouponRedeemer:
    """Checks and records the coupon codes of the new orders of one write."""

    def __init__(self) -> None:
        self.states: dict[str, CouponState | None] = {}
        # Code -> how a message names its first use in this write (a line, an
        # item).
        self.claimed: dict[str, Any] = {}
        # (coupon pk, order key, ordered_at) of the accepted uses.
        self.uses: list[tuple[int, Any, dt.datetime | str]] = []

    def load(self, codes: Iterable[str]) -> None:
        """Read the states of ``codes`` not read yet (one query per 900)."""
        wanted = sorted({c for c in codes if c and c not in self.states})
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            self.states.update(dict.fromkeys(chunk))
            rows = (
                IssuedCoupon.objects.filter(code__in=chunk)
                .order_by()
                .values_list(
                    "code",
                    "pk",
                    "customer_id",
                    "definition__minimum_spend",
                    "expires_at",
                    "redeemed_order_id",
                )
            )
            for code, pk, customer_id, minimum, expires_at, order_id in rows:
                self.states[code] = CouponState(
                    pk, customer_id, minimum, expires_at, order_id
                )

    def refusal(
        self,
        code: str,
        *,
        customer_id: int | None,
        amount: Decimal,
        ordered_at: dt.datetime | str,
        key: Any,
        label: Any,
        repeated: str,
    ) -> str | None:
        """Why a new order of ``customer_id`` may not use ``code`` (None: it
        may, and the use is remembered). ``key`` names the order in this write
        (for :meth:`write`), ``label`` how a later message names it, and
        ``repeated`` is that message (``%(at)s`` is the first use's label)."""
        if code not in self.states:
            self.load([code])
        state = self.states[code]
        if state is None:
            return _("unknown coupon code")
        # Before anything else about the coupon: another customer's coupon
        # tells nothing of its state.
        if customer_id is None or state.customer_id != customer_id:
            return _("this coupon was issued to another customer")
        if state.redeemed_order_id is not None:
            return _("this coupon was already redeemed")
        first = self.claimed.get(code)
        if first is not None:
            return repeated % {"at": first}
        moment = ordered_at if isinstance(ordered_at, str) else utc_text(ordered_at)
        if moment >= utc_text(state.expires_at):
            return _("this coupon expired on %(day)s") % {
                "day": _expiry_day(state.expires_at)
            }
        if amount < state.minimum_spend:
            return _(
                "the order amount is below this coupon's minimum spend of %(amount)s"
            ) % {"amount": f"{state.minimum_spend:.2f}"}
        self.claimed[code] = label
        self.uses.append((state.pk, key, ordered_at))
        return None

    def write(self, order_ids: dict[Any, int]) -> int:
        """Record the accepted uses whose orders are in ``order_ids`` (order
        key -> order id); returns how many coupons were redeemed."""
        done = [
            (pk, order_ids[key], at) for pk, key, at in self.uses if key in order_ids
        ]
        self.uses = [u for u in self.uses if u[1] not in order_ids]
        return coupons_redeem(redemptions=done)


def _moment(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    return value


def coupons_redeem(*, redemptions: Sequence[tuple[int, int, dt.datetime | str]]) -> int:
    """Mark coupons redeemed: ``(coupon id, order id, ordered at)`` each, in the
    caller's transaction (the order's). Only coupons not redeemed yet change."""
    done = 0
    for start in range(0, len(redemptions), 500):
        chunk = redemptions[start : start + 500]
        done += (
            IssuedCoupon.objects.filter(
                pk__in=[pk for pk, _o, _a in chunk], redeemed_order__isnull=True
            )
            .order_by()
            .update(
                redeemed_order=Case(
                    *(When(pk=pk, then=Value(order)) for pk, order, _a in chunk),
                    default=F("redeemed_order"),
                    output_field=BigIntegerField(),
                ),
                redeemed_at=Case(
                    *(When(pk=pk, then=Value(_moment(at))) for pk, _o, at in chunk),
                    default=F("redeemed_at"),
                    output_field=DateTimeField(),
                ),
            )
        )
    return done
