"""Writes of the needs list: mining it, a need's status, merging synonyms,
and closing the loop (telling the customers who raised a need that it was
met, once each, as a service message).

Who may do what (one place, called by web, API and CLI):
- read the list: admins, operations, customer service and analysts (an
  analyst reads example texts masked as in the ticket inbox). Account
  managers do not: a need counts every customer who raised it, and a count
  of other managers' customers is what their scope forbids.
- set a status and close the loop: admins, operations and customer service.
- merge synonyms: admins.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.choices import Role
from guanxi.access.policies import policy_for
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.messaging.choices import MessageChannel, Purpose
from guanxi.messaging.services import personal_preview, personal_send
from guanxi.needs.choices import NeedStatus
from guanxi.needs.mining import MineResult, needs_mine, synonym_map
from guanxi.needs.models import Need, NeedMention, NeedNotice, NeedSynonym

__all__ = [
    "CLOSE_CHANNELS",
    "LoopCount",
    "MineResult",
    "need_loop_close",
    "need_loop_preview",
    "need_loop_texts",
    "need_merge",
    "need_status_set",
    "needs_may_read",
    "needs_may_work",
    "needs_mine",
    "needs_read_check",
    "needs_work_check",
    "synonym_map",
]

READERS = frozenset({Role.ADMIN, Role.OPERATIONS, Role.SERVICE, Role.ANALYST})
WORKERS = frozenset({Role.ADMIN, Role.OPERATIONS, Role.SERVICE})
#: The channels a close-the-loop message goes out on.
CLOSE_CHANNELS = (MessageChannel.EMAIL, MessageChannel.SMS, MessageChannel.WECOM)
TEXT_MAX = 2000


def needs_may_read(*, actor: Any) -> bool:
    """``actor`` may read the needs list."""
    return policy_for(actor).role in READERS


def needs_read_check(*, actor: Any) -> None:
    if not needs_may_read(actor=actor):
        raise PermissionDenied(_("Your role may not read the needs list."))


def needs_may_work(*, actor: Any) -> bool:
    """``actor`` may set a need's status and close the loop."""
    return policy_for(actor).role in WORKERS


def needs_work_check(*, actor: Any) -> None:
    if not needs_may_work(actor=actor):
        raise PermissionDenied(_("Your role may not change needs."))


def need_status_set(*, actor: Any, need: Need, status: str) -> Need:
    """Set ``need``'s status (new, planned, done, dismissed)."""
    needs_work_check(actor=actor)
    if status not in NeedStatus.values:
        raise ValidationFailed(
            _("Unknown status: %(value)r. Choose new, planned, done or dismissed.")
            % {"value": str(status)[:40]},
            field="status",
        )
    with transaction.atomic():
        need.status = status
        need.status_changed_at = timezone.now()
        need.status_changed_by = actor if getattr(actor, "pk", None) else None
        need.save(update_fields=["status", "status_changed_at", "status_changed_by"])
    return need


def need_merge(*, actor: Any, need: Need, into: str) -> Need:
    """Count ``need`` (and its synonyms) as the need ``into`` from now on:
    its texts move to that need, its term becomes a synonym of it. The
    figures follow at the next mining run; the texts and customers now."""
    if not policy_for(actor).may_administer:
        raise PermissionDenied(_("Only an admin may merge needs."))
    target_term = str(into or "").strip().lower()
    if not target_term:
        raise ValidationFailed(_("Name the need to merge into."), field="into")
    target = Need.objects.filter(term=target_term).first()
    if target is None:
        raise ValidationFailed(
            _("There is no need %(term)r to merge into.") % {"term": target_term[:64]},
            field="into",
        )
    if target.pk == need.pk:
        raise ValidationFailed(_("A need cannot be merged into itself."), field="into")
    now = timezone.now()
    with transaction.atomic():
        NeedSynonym.objects.filter(need=need).update(need=target)
        NeedSynonym.objects.update_or_create(
            term=need.term,
            defaults={
                "need": target,
                "created_at": now,
                "created_by": actor if getattr(actor, "pk", None) else None,
            },
        )
        have = set(
            NeedMention.objects.filter(need=target).values_list("source", "source_id")
        )
        moved = [
            NeedMention(
                need=target,
                source=m.source,
                source_id=m.source_id,
                customer_id=m.customer_id,
                month=m.month,
                negative=m.negative,
            )
            for m in NeedMention.objects.filter(need=need)
            if (m.source, m.source_id) not in have
        ]
        NeedMention.objects.bulk_create(moved)
        NeedNotice.objects.filter(need=need).exclude(
            customer_id__in=NeedNotice.objects.filter(need=target).values("customer_id")
        ).update(need=target)
        need.delete()
        _figures(target)
    return target


def _figures(need: Need) -> None:
    """Texts, customers and trend from the mentions (after a merge)."""
    rows = NeedMention.objects.filter(need=need)
    need.texts = rows.count()
    need.customers = rows.values("customer_id").distinct().count()
    trend: dict[str, int] = {}
    for month in rows.values_list("month", flat=True).iterator(chunk_size=2000):
        trend[month] = trend.get(month, 0) + 1
    need.trend = dict(sorted(trend.items()))
    need.save(update_fields=["texts", "customers", "trend"])


# -- closing the loop -------------------------------------------------------

#: The default message, from the promise the churn survey makes (seed
#: handbook 000, 2.4: 并承诺"后续改进会通知您").
DEFAULT_TEXT = {
    "zh-hans": (
        "Subject: 您提出的意见我们已经改进\n\n"
        "您好！您之前向我们反馈过“{need}”方面的问题。我们承诺过后续改进会通知您："
        "这项改进现在已经完成。感谢您的意见，欢迎继续告诉我们您的想法。"
    ),
    "en": (
        "Subject: We acted on what you told us\n\n"
        "Hello! You told us about “{need}”. We promised to let you know when "
        "it improved: the change is now done. Thank you for telling us, and "
        "please keep telling us what you think."
    ),
}


def need_loop_texts(need: Need) -> dict[str, str]:
    """The default message in both languages, naming the need."""
    return {lang: text.format(need=need.term) for lang, text in DEFAULT_TEXT.items()}


@dataclass(frozen=True)
class LoopCount:
    """Who a close-the-loop message reaches: ``queued`` (or would be),
    ``suppressed`` by reason, ``already`` told before."""

    queued: int
    suppressed: dict[str, int]
    already: int

    def as_dict(self) -> dict[str, object]:
        return {
            "queued": self.queued,
            "suppressed": dict(sorted(self.suppressed.items())),
            "already": self.already,
        }


def _recipients(need: Need) -> tuple[list[int], int]:
    """The customers who raised ``need`` and were not told yet; how many
    were."""
    raised = set(
        NeedMention.objects.filter(need=need).values_list("customer_id", flat=True)
    )
    told = set(
        NeedNotice.objects.filter(need=need).values_list("customer_id", flat=True)
    )
    return sorted(raised - told), len(raised & told)


def _checked(need: Need, *, actor: Any, channel: str) -> None:
    needs_work_check(actor=actor)
    if need.status != NeedStatus.DONE:
        raise ValidationFailed(
            _("Mark the need done before telling its customers."), field="status"
        )
    if channel not in CLOSE_CHANNELS:
        raise ValidationFailed(
            _("Choose e-mail, SMS or WeCom, not %(value)r.") % {"value": channel[:20]},
            field="channel",
        )


def _text(value: str, *, language: str) -> str:
    text = str(value or "").strip()
    if not text:
        message = (
            _("The Chinese message is empty.")
            if language == "zh-hans"
            else _("The English message is empty.")
        )
        raise ValidationFailed(message, field=language)
    if len(text) > TEXT_MAX:
        raise ValidationFailed(
            _("The message is longer than %(n)d characters.") % {"n": TEXT_MAX},
            field=language,
        )
    return text


def need_loop_preview(*, actor: Any, need: Need, channel: str) -> LoopCount:
    """What :func:`need_loop_close` would do now, writing nothing."""
    _checked(need, actor=actor, channel=channel)
    ids, already = _recipients(need)
    count = personal_preview(channel=channel, purpose=Purpose.SERVICE, customer_ids=ids)
    return LoopCount(queued=count.queued, suppressed=count.suppressed, already=already)


def need_loop_close(
    *,
    actor: Any,
    need: Need,
    channel: str,
    text_zh: str,
    text_en: str,
    now: dt.datetime | None = None,
) -> LoopCount:
    """Tell each customer who raised ``need`` (a done need) that it was met,
    in their language, as a service message on ``channel``: once per
    customer per need (a customer told before is not told again; one the
    service rules suppress is recorded as told and not asked again). The
    message is on the customer's timeline with the other messages."""
    _checked(need, actor=actor, channel=channel)
    zh = _text(text_zh, language="zh-hans")
    en = _text(text_en, language="en")
    now = now or timezone.now()
    with transaction.atomic():
        locked = Need.objects.select_for_update().get(pk=need.pk)
        ids, already = _recipients(locked)
        count, made = personal_send(
            channel=channel,
            purpose=Purpose.SERVICE,
            template_text=zh,
            other_text=en,
            language="zh-hans",
            links=dict.fromkeys(ids, ""),
            audience=f"need:{locked.pk}",
            actor=actor,
        )
        try:
            NeedNotice.objects.bulk_create(
                [
                    NeedNotice(
                        need=locked,
                        customer_id=customer_id,
                        message_id=made.get(customer_id),
                        channel=channel,
                        sent_at=now,
                        sent_by=actor if getattr(actor, "pk", None) else None,
                    )
                    for customer_id in ids
                ]
            )
        except IntegrityError:  # told at the same moment by another request
            raise ValidationFailed(
                _("These customers are being told already; look again.")
            ) from None
    return LoopCount(queued=count.queued, suppressed=count.suppressed, already=already)
