"""What the customer 360 page shows besides the profile: the timeline (orders,
interactions, messages and what their channels reported, stage changes and
score changes, newest first, a page at a time) and the scores with their explanation and the playbook's next action.

The views call :func:`customer_timeline` and :func:`customer_insight`; the
scores' words come from ``insights.presenters``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from guanxi.access.policies import Policy, policy_for
from guanxi.commerce.selectors import OrderFilters, order_list
from guanxi.core.masking import text_masked
from guanxi.coupons.selectors import customer_coupon_events
from guanxi.customers.activities import activity_editable
from guanxi.customers.choices import CustomerChangeKind
from guanxi.customers.history import customer_change_list
from guanxi.customers.models import Customer, CustomerChange
from guanxi.customers.selectors import interaction_list
from guanxi.insights.presenters import (
    next_action_card,
    score_card,
    score_timeline_events,
    stage_change_text,
)
from guanxi.insights.selectors import (
    CustomerScores,
    playbook_choice_for,
    stage_change_list,
)
from guanxi.journeys.selectors import customer_journey_log
from guanxi.messaging.selectors import customer_message_log

__all__ = [
    "TIMELINE_PER_PAGE",
    "change_text",
    "customer_insight",
    "customer_timeline",
]

TIMELINE_PER_PAGE = 20
#: Stage changes listed in the scores section (the timeline has them all).
STAGE_HISTORY = 8


def _end_of(day: dt.date) -> dt.datetime:
    """A run's date on the timeline: after everything that happened that day."""
    return dt.datetime.combine(
        day, dt.time(23, 59, 59), tzinfo=timezone.get_current_timezone()
    )


def change_text(change: CustomerChange) -> str:
    """A change as the timeline says it: who did what, naming the fields (never
    their values)."""
    who = change.actor.get_username() if change.actor else _("the system")
    if change.kind == CustomerChangeKind.CREATED:
        return _("Created by %(who)s") % {"who": who}
    if change.kind == CustomerChangeKind.ASSIGNED:
        if change.manager is None:
            return _("Account manager removed by %(who)s") % {"who": who}
        return _("Account manager set to %(manager)s by %(who)s") % {
            "manager": change.manager.get_username(),
            "who": who,
        }
    names = [str(_FIELD_NAMES[f]) for f in change.fields if f in _FIELD_NAMES]
    return _("Edited by %(who)s: %(fields)s") % {
        "who": who,
        "fields": pgettext("between field names", ", ").join(names),
    }


_FIELD_NAMES = {f.name: f.verbose_name for f in Customer._meta.concrete_fields}


def customer_timeline(
    *, actor: Any, customer: Customer, page: int, scores: CustomerScores
) -> tuple[list[dict[str, Any]], bool, list[Any]]:
    """One page of ``customer``'s timeline, newest first, whether there is an
    older page, and the latest stage changes (for the stage history)."""
    limit = page * TIMELINE_PER_PAGE + 1
    orders = order_list(actor=actor, filters=OrderFilters(customer=customer.pk))[:limit]
    interactions = interaction_list(actor=actor, customer=customer)[:limit]
    changes = list(
        stage_change_list(customer_id=customer.pk)[: max(limit, STAGE_HISTORY)]
    )
    events: list[dict[str, Any]] = [
        {"kind": "order", "at": o.ordered_at, "order": o} for o in orders
    ]
    policy = policy_for(actor)
    events += [
        {
            "kind": "interaction",
            "at": i.occurred_at,
            "interaction": i,
            # What was said may quote a phone or an e-mail: masked like a
            # ticket's text for roles that see contact data masked.
            "note": i.note if policy.sees_contact_data else text_masked(i.note),
            "editable": activity_editable(i, actor=actor),
            # In words by the template (guanxi_words.channel_label), the same
            # for channels logged here and imported ones.
            "channel": i.channel,
        }
        for i in interactions
    ]
    events += [
        {"kind": "change", "at": c.changed_at, "change": c, "text": change_text(c)}
        for c in customer_change_list(customer_id=customer.pk)[:limit]
    ]
    events += [
        {
            "kind": "message_event" if entry.event else "message",
            "at": entry.at,
            "message": entry.message,
            "event": entry.event,
        }
        for entry in customer_message_log(
            actor=actor, customer_id=customer.pk, limit=limit
        )
    ]
    events += [
        {"kind": "journey", "at": entry.at, "text": entry.text}
        for entry in customer_journey_log(customer_id=customer.pk, limit=limit)
    ]
    events += [
        {
            "kind": "stage",
            "at": _end_of(c.as_of),
            "day": c.as_of,
            "text": stage_change_text(c),
            "stage": c.to_stage,
        }
        for c in changes[:limit]
    ]
    events += [
        {"kind": "score", "at": _end_of(day), "day": day, "text": text}
        for day, text in score_timeline_events(scores.history)
    ]
    events += customer_coupon_events(actor=actor, customer_id=customer.pk, limit=limit)
    events.sort(key=lambda e: e["at"], reverse=True)
    start = (page - 1) * TIMELINE_PER_PAGE
    chunk = events[start : start + TIMELINE_PER_PAGE]
    return chunk, len(events) > start + TIMELINE_PER_PAGE, changes[:STAGE_HISTORY]


def customer_insight(
    *, scores: CustomerScores, stage_changes: list[Any], policy: Policy
) -> dict[str, Any]:
    """The scores section: the latest snapshot explained, the next action and
    the stage history; before the first run, where runs are started (for
    the roles that may start them)."""
    snapshot = scores.current
    administers = policy.may_administer
    context: dict[str, Any] = {
        "scores": None,
        "next_action": None,
        "scored_before": scores.as_of is not None,
        "runs_url": reverse("insights:runs") if administers else None,
        "playbook_url": reverse("playbook:list") if administers else None,
        "stage_history": [
            {"day": c.as_of, "text": stage_change_text(c), "stage": c.to_stage}
            for c in stage_changes
        ],
    }
    if snapshot is None:
        return context
    context["scores"] = score_card(snapshot, history=scores.history)
    choice = playbook_choice_for(stage=snapshot.stage, quadrant=snapshot.quadrant)
    if choice is not None:
        context["next_action"] = next_action_card(choice, snapshot=snapshot)
    return context
