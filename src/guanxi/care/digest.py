"""The daily digest e-mail: each person's care tasks due today or overdue
(how many, and the most urgent few) and their open checklist items, in their
language, at most once a day.

Sent by a periodic task from ``GUANXI_CARE_DIGEST_HOUR`` (local time) on,
when e-mail is set up (``GUANXI_EMAIL_URL``), to active staff with an e-mail
address and something due. It lists exactly what the person's own inbox
lists (the same scoped query: an account manager's digest never names
another manager's customer), and of a customer only what the inbox shows
their role (the name as the customer card shows it, or the pseudonym), never
a phone number or an address.

A person may turn their digest off (and on again) on their inbox page, linked
from every digest; :class:`DigestOptOut` holds who did.

Once a day: a row per (person, day) is claimed in the database before
sending; a second run finds it and sends nothing. A send that fails gives the
claim back, so the next hour tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.access.policies import policy_for
from guanxi.access.selectors import staff_language, staff_list
from guanxi.care.checklist import checklist_inbox
from guanxi.care.choices import CHECKLIST_PERIOD, ChecklistItem, Period
from guanxi.care.models import CareDigest, DigestOptOut
from guanxi.care.presenters import task_row
from guanxi.care.selectors import task_inbox
from guanxi.core.errors import ValidationFailed
from guanxi.messaging.services import StaffMailer

__all__ = [
    "TOP_ITEMS",
    "DigestResult",
    "digest_choose",
    "digest_wanted",
    "digests_due",
    "digests_send",
]

log = logging.getLogger(__name__)

#: The most urgent tasks a digest names (the rest are counted).
TOP_ITEMS = 5


@dataclass(frozen=True)
class DigestResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0


def _content(user: Any, today: Any) -> dict[str, Any] | None:
    """What the person's digest says, or None when nothing is due."""
    policy = policy_for(user)
    tasks: list[Any] = []
    count = 0
    if policy.may_work_care_tasks:
        due = task_inbox(actor=user, today=today)
        count = due.count()
        tasks = list(due[:TOP_ITEMS]) if count else []
    checklist = [
        {
            "label": ChecklistItem(c.item).label,
            "period": Period(CHECKLIST_PERIOD[c.item]).label,
        }
        for c in checklist_inbox(actor=user).filter(period_start__lte=today)[:20]
    ]
    if not count and not checklist:
        return None
    rows = []
    for task in tasks:
        row = task_row(task, policy=policy, today=today)
        card = row["card"]
        rows.append(
            {
                "who": card.get("name") or card["id"],
                "priority": row["priority_label"],
                "reason": row["reasons"][0] if row["reasons"] else "",
                "due_on": row["due_on"],
                "overdue": row["overdue"],
            }
        )
    base = str(settings.GUANXI_PUBLIC_URL).rstrip("/")
    return {
        "count": count,
        "overdue": sum(1 for r in rows if r["overdue"]),
        "rows": rows,
        "more": max(0, count - len(rows)),
        "checklist": checklist,
        "url": base + reverse("care:inbox"),
        "off_url": base + reverse("care:inbox") + "#digest",
        "today": today,
    }


def digest_wanted(*, user: Any) -> bool:
    """Whether ``user`` gets the daily digest (they have not turned it off)."""
    return not DigestOptOut.objects.filter(owner_id=user.pk).exists()


def digest_choose(*, actor: Any, choice: str) -> bool:
    """Turn the actor's own digest ``on`` or ``off``; returns whether it is on.
    Anything else is refused with ``ValidationFailed`` and changes nothing."""
    if choice not in ("on", "off"):
        raise ValidationFailed(_("Choose whether the daily e-mail is on or off."))
    with transaction.atomic():
        if choice == "off":
            DigestOptOut.objects.get_or_create(owner_id=actor.pk)
        else:
            DigestOptOut.objects.filter(owner_id=actor.pk).delete()
    return choice == "on"


def _claim(user: Any, today: Any, count: int) -> CareDigest | None:
    try:
        with transaction.atomic():
            return CareDigest.objects.create(owner=user, day=today, tasks=count)
    except IntegrityError:
        return None


def digests_send(*, today: Any = None) -> DigestResult:
    """Send today's digest to everyone who has not had it yet. Raises
    ``ValidationFailed`` when e-mail is not set up."""
    day = today if today is not None else timezone.localdate()
    mailer = StaffMailer()
    sent = skipped = failed = 0
    done = set(CareDigest.objects.filter(day=day).values_list("owner_id", flat=True))
    people = (
        staff_list()
        .filter(is_active=True)
        .exclude(email="")
        .exclude(pk__in=sorted(done))
        .exclude(pk__in=DigestOptOut.objects.values("owner_id"))
        .order_by("pk")
    )
    try:
        for user in people:
            policy = policy_for(user)
            if not (policy.may_work_care_tasks or policy.care_checklist):
                continue
            language = staff_language(user=user) or settings.LANGUAGE_CODE
            with translation.override(language):
                content = _content(user, day)
                if content is None:
                    skipped += 1
                    continue
                claim = _claim(user, day, content["count"])
                if claim is None:
                    skipped += 1  # another run got there first
                    continue
                subject = ngettext(
                    "Guanxi: %(count)d care task due today",
                    "Guanxi: %(count)d care tasks due today",
                    content["count"],
                ) % {"count": content["count"]}
                text = render_to_string("care/digest.txt", content)
                html = render_to_string("care/digest.html", content)
            problem = mailer.send(
                key=f"care-digest-{user.pk}-{day.isoformat()}",
                to=user.email,
                subject=subject,
                text=text,
                html=html,
            )
            if problem:
                claim.delete()
                failed += 1
                log.warning("care digest for user %s not sent: %s", user.pk, problem)
            else:
                sent += 1
    finally:
        mailer.close()
    return DigestResult(sent=sent, skipped=skipped, failed=failed)


def digests_due(*, now: Any = None) -> DigestResult | None:
    """The periodic task's check: from the digest hour on, when e-mail is set
    up, send the day's digests (None when it is not time or not set up)."""
    moment = timezone.localtime(now)
    if moment.hour < int(settings.GUANXI_CARE_DIGEST_HOUR):
        return None
    if not StaffMailer.configured():
        return None
    try:
        return digests_send(today=moment.date())
    except ValidationFailed as error:
        log.warning("care digests not sent: %s", error.message)
        return None
