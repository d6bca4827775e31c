"""Writes of the journeys app: journeys and their versions, switching them
on and off, and the scheduler's run (what orders set off: pending.py)."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.coupons.selectors import coupon_definition_list
from guanxi.coupons.services import coupon_definitions_ensure
from guanxi.journeys.choices import EntryRule, JourneyState, Period
from guanxi.journeys.definition import Definition, definition_check
from guanxi.journeys.engine import (
    RunCounts,
    enrol,
    enrolments_advance,
    entry_key,
    run_moment,
)
from guanxi.journeys.models import Journey, JourneyVersion
from guanxi.journeys.pending import purchases_pending_drain
from guanxi.journeys.playbooks import COUPONS, JOURNEYS, STAR_SEGMENT, TEMPLATES
from guanxi.journeys.purchases import (
    exits_on_purchase,
    purchase_plan,
    waits_on_purchase,
)
from guanxi.journeys.selectors import journey_get
from guanxi.journeys.triggers import trigger_candidates
from guanxi.messaging.selectors import template_by_name
from guanxi.messaging.services import TemplateFields, template_ensure
from guanxi.segments.selectors import segment_list, segment_uses_scores

__all__ = [
    "journey_create",
    "journey_define",
    "journey_definition_check",
    "journey_edit",
    "journey_playbooks_ensure",
    "journey_set_state",
    "journeys_run",
]

log = logging.getLogger(__name__)

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
#: Slugs the journeys pages use for themselves (``/journeys/new/``).
RESERVED_SLUGS = ("new", "playbooks")


def _coupon_state(slug: str) -> str | None:
    """None (no such coupon), ``"expired"``, ``"off"`` or ``"active"``."""
    found = coupon_definition_list().filter(slug=slug).first()
    if found is None:
        return None
    if found.expires_on is not None and found.expires_on < timezone.localdate():
        return "expired"
    return "active" if found.active else "off"


def _checked(definition: Any) -> Definition:
    return definition_check(
        definition,
        template_exists=lambda name: template_by_name(name) is not None,
        segment_exists=lambda pk: segment_list().filter(pk=pk).exists(),
        segment_scored=lambda pk: segment_uses_scores(pk=pk),
        coupon_state=_coupon_state,
    )


def journey_definition_check(definition: Any) -> Definition:
    """A definition checked against the stored templates and segments, as
    saving would check it (writes nothing)."""
    return _checked(definition)


def _coupons_on(journey: Journey) -> None:
    """A journey is switched on only when the coupons it issues are on and
    not expired (the shipped ones come switched off)."""
    assert journey.current_version is not None
    for step in journey.current_version.definition["steps"]:
        if step["type"] != "issue_coupon":
            continue
        state = _coupon_state(step["coupon"])
        if state != "active":
            raise ValidationFailed(
                _(
                    'Step "%(step)s": the coupon "%(slug)s" is switched off or '
                    "has expired: switch it on first."
                )
                % {"step": step["id"], "slug": step["coupon"]}
            )


def _may_edit(actor: Any) -> None:
    if actor is not None and not policy_for(actor).may_send_broadcasts:
        raise PermissionDenied(_("your role may not change journeys"))


def journey_create(
    *,
    actor: Any,
    slug: str,
    name_zh: str,
    name_en: str,
    definition: Any,
    holdout_percent: int = 10,
    entry_rule: str = EntryRule.ONCE,
    entry_period: str = Period.YEAR,
    exit_on_purchase: bool = False,
) -> Journey:
    """A new journey (off) with its first version; bad input stores nothing."""
    _may_edit(actor)
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        raise ValidationFailed(
            _(
                "A slug is 1 to 64 lower-case letters, digits and -, starting with a letter or digit."
            ),
            field="slug",
        )
    if slug in RESERVED_SLUGS:
        raise ValidationFailed(
            _("The slug %(slug)s is reserved.") % {"slug": slug}, field="slug"
        )
    _names_check(name_zh, name_en)
    checked = _checked(definition)
    _settings_check(entry_rule, entry_period, holdout_percent)
    try:
        with transaction.atomic():
            journey = Journey.objects.create(
                slug=slug,
                name_zh=name_zh.strip(),
                name_en=name_en.strip(),
                holdout_percent=holdout_percent,
                entry_rule=entry_rule,
                entry_period=entry_period,
                exit_on_purchase=exit_on_purchase,
            )
            _version_add(journey, checked, actor)
    except IntegrityError:
        raise ValidationFailed(
            _("A journey with this slug exists already."), field="slug"
        ) from None
    return journey


def _settings_check(entry_rule: Any, entry_period: Any, holdout_percent: Any) -> None:
    if entry_rule not in EntryRule.values:
        raise ValidationFailed(_("Unknown entry rule."), field="entry_rule")
    if entry_period not in Period.values:
        raise ValidationFailed(_("Unknown entry period."), field="entry_period")
    if (
        isinstance(holdout_percent, bool)
        or not isinstance(holdout_percent, int)
        or not (0 <= holdout_percent <= 50)
    ):
        raise ValidationFailed(
            _("The holdout is 0 to 50 percent."), field="holdout_percent"
        )


def _names_check(name_zh: Any, name_en: Any) -> None:
    for field, value in (("name_zh", name_zh), ("name_en", name_en)):
        if not isinstance(value, str) or not value.strip() or len(value) > 100:
            raise ValidationFailed(
                _(
                    "A journey needs a name in Chinese and in English (at most 100 characters each)."
                ),
                field=field,
            )


def journey_edit(
    *,
    actor: Any,
    journey: Journey,
    name_zh: str,
    name_en: str,
    definition: Any,
    holdout_percent: int,
    entry_rule: str,
    entry_period: str,
    exit_on_purchase: bool,
) -> Journey:
    """Change a journey's names, holdout, entry and exit rules and, when it
    differs from the current one, its definition (a new version; customers in
    flight stay on theirs), in one transaction. Bad input changes nothing."""
    _may_edit(actor)
    _names_check(name_zh, name_en)
    checked = _checked(definition)
    _settings_check(entry_rule, entry_period, holdout_percent)
    with transaction.atomic():
        locked = Journey.objects.select_for_update().get(pk=journey.pk)
        locked.name_zh, locked.name_en = name_zh.strip(), name_en.strip()
        locked.holdout_percent = holdout_percent
        locked.entry_rule, locked.entry_period = entry_rule, entry_period
        locked.exit_on_purchase = bool(exit_on_purchase)
        locked.save(
            update_fields=[
                "name_zh",
                "name_en",
                "holdout_percent",
                "entry_rule",
                "entry_period",
                "exit_on_purchase",
            ]
        )
        current = (
            locked.current_version.definition
            if locked.current_version is not None
            else None
        )
        if current != checked.as_json():
            _version_add(locked, checked, actor)
    return journey_get(slug=locked.slug)


def _version_add(journey: Journey, checked: Definition, actor: Any) -> JourneyVersion:
    number = (journey.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = JourneyVersion.objects.create(
        journey=journey,
        number=number,
        definition=checked.as_json(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    journey.current_version = version
    journey.save(update_fields=["current_version"])
    return version


def journey_define(*, actor: Any, journey: Journey, definition: Any) -> JourneyVersion:
    """Give a journey a new definition: a new version that new entrants get;
    customers in flight stay on the version they entered."""
    _may_edit(actor)
    checked = _checked(definition)
    with transaction.atomic():
        locked = Journey.objects.select_for_update().get(pk=journey.pk)
        version = _version_add(locked, checked, actor)
    journey.current_version = version
    return version


def journey_playbooks_ensure(*, actor: Any) -> list[str]:
    """Add the shipped playbooks that are missing (their templates first),
    switched off; the slugs added. Admins, or the command line (no actor)."""
    if actor is not None and not policy_for(actor).may_administer:
        raise PermissionDenied(_("only admins add the shipped playbooks"))
    added = []
    star = segment_list().filter(name=STAR_SEGMENT).values_list("pk", flat=True)
    with transaction.atomic():
        for values in TEMPLATES:
            template_ensure(fields=TemplateFields(**values))
        coupon_definitions_ensure(rows=COUPONS)
        for playbook in JOURNEYS:
            if Journey.objects.filter(slug=playbook["slug"]).exists():
                continue
            trigger = playbook["definition"]["trigger"]
            if trigger["type"] == "schedule" and trigger["segment"] is None:
                # VIP care runs over the shipped star segment: left out when
                # an admin deleted it (added again once there is one).
                if not star:
                    continue
                playbook = {
                    **playbook,
                    "definition": {
                        **playbook["definition"],
                        "trigger": {**trigger, "segment": star[0]},
                    },
                }
            journey_create(actor=None, **playbook)
            added.append(str(playbook["slug"]))
    return added


def journey_set_state(*, actor: Any, slug: str, on: bool) -> Journey:
    """Switch a journey on or off (admins; the command line acts as the
    system). Switching on counts events from now."""
    if actor is not None and not policy_for(actor).may_administer:
        raise PermissionDenied(_("only admins switch journeys on and off"))
    journey = journey_get(slug=slug)
    wanted = JourneyState.ON if on else JourneyState.OFF
    if journey.state == wanted:
        return journey
    journey.state = wanted
    fields = ["state"]
    if on:
        _coupons_on(journey)
        journey.enabled_at = timezone.now()
        fields.append("enabled_at")
    journey.save(update_fields=fields)
    return journey


def journeys_run(*, as_of: dt.date | None = None) -> RunCounts:
    """The scheduler: first the orders' pending work (purchase triggers,
    for the moment of each purchase), then for every journey switched on,
    take out who bought (when it ends on a purchase), move on who waited for
    a purchase, enrol whom the trigger picks on the day, then run every due
    step. Safe to run twice and at once: a second run for the same day
    enrols and queues nothing."""
    started = time.monotonic()
    moment = run_moment(as_of)
    day = as_of or timezone.localdate(moment)
    counts = RunCounts()
    # Nothing waits for a worker that is not running.
    pending = purchases_pending_drain()
    counts.enrolled += pending.entered
    counts.advanced += pending.advanced
    journeys = list(
        Journey.objects.filter(state=JourneyState.ON)
        .exclude(current_version=None)
        .select_related("current_version")
    )
    plan = purchase_plan(journeys)
    exits_on_purchase(moment=moment, plan=plan)
    counts.advanced += waits_on_purchase(moment=moment, plan=plan)
    for journey in journeys:
        assert journey.current_version is not None
        trigger = journey.current_version.definition["trigger"]
        customers, occurrence = trigger_candidates(journey, trigger, day)
        counts.evaluated += 1
        counts.enrolled += enrol(
            journey,
            customers,
            key=entry_key(journey, occurrence=occurrence, day=day),
            moment=moment,
        )
    advanced, queued = enrolments_advance(moment=moment, journeys=journeys)
    counts.advanced += advanced
    counts.queued += queued
    counts.seconds = time.monotonic() - started
    return counts
