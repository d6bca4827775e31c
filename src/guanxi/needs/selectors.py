"""Reads of the needs list: the needs ranked, one need, its texts and the
customers told; the latest mining run."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFound
from guanxi.needs.choices import NeedOrder, NeedStatus, TextSource
from guanxi.needs.models import MiningRun, Need, NeedMention, NeedNotice, NeedSynonym

__all__ = [
    "ORDERINGS",
    "mining_run_latest",
    "need_get",
    "need_list",
    "need_mentions",
    "need_notice_count",
    "need_synonyms",
]

ORDERINGS: dict[str, tuple[str, ...]] = {
    NeedOrder.CUSTOMERS: ("-customers", "-texts", "term"),
    NeedOrder.REVENUE: ("-revenue", "-customers", "term"),
    NeedOrder.TEXTS: ("-texts", "-customers", "term"),
}


def need_list(*, order: str = NeedOrder.CUSTOMERS, status: str = "") -> QuerySet[Need]:
    """Needs with customers behind them (or a status other than new),
    ranked; ``status`` filters. Callers check the role
    (``needs_read_check``): the list counts every customer."""
    qs = Need.objects.all()
    if status:
        qs = qs.filter(status=status)
    else:
        qs = qs.exclude(status=NeedStatus.NEW, customers=0)
    return qs.order_by(*ORDERINGS.get(order, ORDERINGS[NeedOrder.CUSTOMERS]))


def need_get(*, pk: Any) -> Need:
    try:
        return Need.objects.get(pk=int(pk))
    except (Need.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("need not found")) from None


def need_mentions(
    *, need: Need, source: str = "", policy: Any = None
) -> QuerySet[NeedMention]:
    """The texts that name ``need``, newest first. For a ``policy`` that sees
    no personal data (analysts), without interaction notes: staff's own
    notes are never shown to them, even masked (ticket texts and survey
    answers are, with personal values masked, as in the ticket inbox)."""
    qs = NeedMention.objects.filter(need=need)
    if policy is not None and not policy.sees_personal_data:
        qs = qs.exclude(source=TextSource.INTERACTION)
    if source:
        qs = qs.filter(source=source)
    return qs.order_by("-month", "-source_id")


def need_notice_count(*, need: Need) -> int:
    return NeedNotice.objects.filter(need=need).count()


def need_synonyms(*, need: Need) -> list[str]:
    return list(
        NeedSynonym.objects.filter(need=need)
        .order_by("term")
        .values_list("term", flat=True)
    )


def mining_run_latest() -> MiningRun | None:
    return MiningRun.objects.filter(finished_at__isnull=False).first()
