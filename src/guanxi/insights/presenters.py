"""What the customer 360 page shows of a customer's scores, ready to print:
a plain-language explanation built from the numbers, the reasons behind churn
risk and the emotion layer, the chart of value and risk over the runs, the
score changes worth a line on the timeline, and the playbook's next action
with the reason it was chosen.

Every text follows the active language (``gettext``); numbers come from the
snapshot, never from a template.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.analytics.rfm_segments import SEGMENT_LABELS_EN, SEGMENT_LABELS_ZH
from guanxi.insights.choices import ActionChannel, Emotion, Quadrant, Stage
from guanxi.insights.models import ScoreSnapshot, StageChange
from guanxi.insights.phrases import (
    churn_reason_text,
    days_text,
    emotion_reason_text,
    join_facts,
    money,
    number,
    quadrant_meaning,
)
from guanxi.insights.playbook.lookup import PlaybookChoice
from guanxi.insights.playbook.text import action_text, action_title, reads_chinese

__all__ = [
    "next_action_card",
    "score_card",
    "score_explanation",
    "score_timeline_events",
    "stage_change_text",
]

#: A churn risk that moves by this much between two runs is worth telling.
RISK_STEP = 0.2
#: Reasons shown for churn risk and the emotion layer.
TOP_REASONS = 3
#: The smallest push on churn risk worth telling (half a percentage point).
MIN_EFFECT = 0.005


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _gap(snapshot: ScoreSnapshot) -> float | None:
    gap = snapshot.mean_gap_days
    return gap if gap is not None and gap > 0 else None


def _rhythm(snapshot: ScoreSnapshot, *, past: bool = False) -> str:
    gap = _gap(snapshot)
    if gap is None:  # one purchase day: no rhythm yet
        return _("bought once") if snapshot.orders <= 1 else _("bought on one day only")
    n = round(gap)
    if past:
        return ngettext(
            "usually bought every %(n)s day", "usually bought every %(n)s days", n
        ) % {"n": f"{n:,}"}
    return ngettext(
        "usually buys every %(n)s day", "usually buys every %(n)s days", n
    ) % {"n": f"{n:,}"}


def _no_purchase(snapshot: ScoreSnapshot) -> str:
    return _("no purchase for %(days)s") % {
        "days": days_text(snapshot.days_since_last_purchase or 0)
    }


def _last_purchase(snapshot: ScoreSnapshot) -> str:
    days = snapshot.days_since_last_purchase
    if days is None:
        return ""
    if days == 0:
        return _("last purchase today")
    return _("last purchase %(days)s ago") % {"days": days_text(days)}


def _orders(snapshot: ScoreSnapshot) -> str:
    return ngettext(
        "%(n)s order, %(spend)s in all",
        "%(n)s orders, %(spend)s in all",
        snapshot.orders,
    ) % {"n": f"{snapshot.orders:,}", "spend": money(snapshot.total_spend)}


def _p_alive(snapshot: ScoreSnapshot) -> str:
    if snapshot.p_alive is None:
        return ""
    return _("P(alive) %(p)s") % {"p": f"{snapshot.p_alive:.2f}"}


def _customer_for(snapshot: ScoreSnapshot) -> str:
    if snapshot.first_purchase is None:
        return ""
    days = (snapshot.as_of - snapshot.first_purchase).days
    return _("customer for %(days)s") % {"days": days_text(days)}


def score_explanation(snapshot: ScoreSnapshot) -> str:
    """The stage in one sentence from the numbers: ``At risk: no purchase for
    45 days, usually buys every 12 days; P(alive) 0.31``."""
    stage = snapshot.stage
    if stage == Stage.PROSPECT or snapshot.orders == 0:
        return _("Prospect: %(facts)s") % {"facts": _("no purchase yet")}
    if stage == Stage.NEW:
        first = (
            (snapshot.as_of - snapshot.first_purchase).days
            if snapshot.first_purchase is not None
            else snapshot.days_since_last_purchase or 0
        )
        facts = join_facts(
            _("first purchase %(days)s ago") % {"days": days_text(first)}
            if first
            else _("first purchase today"),
            _orders(snapshot),
        )
        return _("New: %(facts)s") % {"facts": facts}
    if stage in (Stage.AT_RISK, Stage.LAPSED):
        facts = join_facts(
            join_facts(
                _no_purchase(snapshot), _rhythm(snapshot, past=stage == Stage.LAPSED)
            ),
            _p_alive(snapshot),
            sep="group",
        )
        if stage == Stage.AT_RISK:
            return _("At risk: %(facts)s") % {"facts": facts}
        return _("Lapsed: %(facts)s") % {"facts": facts}
    facts = join_facts(
        join_facts(
            _customer_for(snapshot) if stage == Stage.MATURE else "",
            _orders(snapshot),
        ),
        join_facts(_rhythm(snapshot), _last_purchase(snapshot)),
        sep="group",
    )
    if stage == Stage.MATURE:
        return _("Mature: %(facts)s") % {"facts": facts}
    return _("Growing: %(facts)s") % {"facts": facts}


def _segment_label(key: str) -> str:
    labels = SEGMENT_LABELS_ZH if reads_chinese() else SEGMENT_LABELS_EN
    return labels.get(key, key.replace("_", " "))


def _churn_reasons(reasons: Any) -> list[dict[str, Any]]:
    rows = [r for r in (reasons or []) if isinstance(r, dict) and "feature" in r]

    def effect(row: dict[str, Any]) -> float:
        try:
            return float(row.get("effect") or 0.0)
        except (TypeError, ValueError):
            return 0.0

    # A reason that moves the risk by less than half a point is not one to
    # tell (the model lists its top three whatever their size); the biggest
    # is kept so that the risk is never left unexplained.
    ranked = sorted(rows, key=lambda r: abs(effect(r)), reverse=True)
    raising = [r for r in ranked if effect(r) >= MIN_EFFECT] or [
        r for r in ranked[:1] if effect(r) > 0
    ]
    chosen = raising or ranked
    return [
        {
            "text": churn_reason_text(r["feature"], r.get("value")),
            "raises": effect(r) > 0,
            "effect": _("%(d)s points") % {"d": f"{100 * effect(r):+.0f}"},
        }
        for r in chosen[:TOP_REASONS]
    ]


def _emotion_reasons(reasons: Any) -> list[dict[str, Any]]:
    rows = [
        r
        for r in (reasons or [])
        if isinstance(r, dict) and "signal" in r and r.get("count") != 0
    ]

    def weight(row: dict[str, Any]) -> float:
        try:
            return abs(float(row.get("points") or 0.0))
        except (TypeError, ValueError):
            return 0.0

    return [
        {
            "text": emotion_reason_text(r["signal"], r.get("count"), r.get("points")),
            "negative": (float(r.get("points") or 0) < 0) if weight(r) else False,
        }
        for r in sorted(rows, key=weight, reverse=True)
    ]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _chart(history: Sequence[ScoreSnapshot]) -> dict[str, Any] | None:
    """Value and risk over the runs, oldest first; None with fewer than two."""
    if len(history) < 2:
        return None
    points = list(reversed(history))
    return {
        "dates": [s.as_of.isoformat() for s in points],
        "current": [round(s.current_value, 2) for s in points],
        "potential": [round(s.potential_value, 2) for s in points],
        "risk": [
            None if s.churn_risk is None else round(s.churn_risk, 4) for s in points
        ],
        "labels": {
            "current": _("Current value"),
            "potential": _("Potential value"),
            "risk": _("Churn risk"),
        },
    }


def score_card(
    snapshot: ScoreSnapshot, *, history: Sequence[ScoreSnapshot] = ()
) -> dict[str, Any]:
    """Everything the scores section of the 360 page prints."""
    return {
        "as_of": snapshot.as_of,
        "explanation": score_explanation(snapshot),
        "stage": _label(Stage, snapshot.stage),
        "stage_key": snapshot.stage,
        "quadrant": _label(Quadrant, snapshot.quadrant),
        "quadrant_key": snapshot.quadrant,
        "quadrant_meaning": quadrant_meaning(snapshot.quadrant),
        "emotion": _label(Emotion, snapshot.emotion),
        "emotion_key": snapshot.emotion,
        "emotion_reasons": _emotion_reasons(snapshot.emotion_reasons),
        "current_value": money(snapshot.current_value),
        "potential_value": money(snapshot.potential_value),
        "value_score": number(snapshot.value_score, 2),
        "churn_risk": _percent(snapshot.churn_risk),
        "churn_reasons": _churn_reasons(snapshot.churn_reasons),
        "p_alive": "—" if snapshot.p_alive is None else f"{snapshot.p_alive:.2f}",
        "expected_purchases": (
            "—"
            if snapshot.expected_purchases_90d is None
            else number(snapshot.expected_purchases_90d)
        ),
        "rfm": (
            {
                "r": snapshot.r_score,
                "f": snapshot.f_score,
                "m": snapshot.m_score,
                "segment": _segment_label(snapshot.rfm_segment),
            }
            if snapshot.r_score is not None
            else None
        ),
        "orders": snapshot.orders,
        "total_spend": money(snapshot.total_spend),
        "last_purchase": snapshot.last_purchase,
        "mean_gap": (days_text(_gap(snapshot)) if _gap(snapshot) is not None else "—"),
        "chart": _chart(history),
    }


# --- next action -------------------------------------------------------------


def _rule_name(stage: str, quadrant: str) -> str:
    if stage and quadrant:
        return _("the rule for stage “%(stage)s” and quadrant “%(quadrant)s”") % {
            "stage": _label(Stage, stage),
            "quadrant": _label(Quadrant, quadrant),
        }
    if stage:
        return _("the rule for stage “%(stage)s” (any quadrant)") % {
            "stage": _label(Stage, stage)
        }
    if quadrant:
        return _("the rule for quadrant “%(quadrant)s” (any stage)") % {
            "quadrant": _label(Quadrant, quadrant)
        }
    return _("the general rule (any stage, any quadrant)")


def next_action_card(
    choice: PlaybookChoice, *, snapshot: ScoreSnapshot
) -> dict[str, Any]:
    """The chosen action in the reader's language and why it was chosen."""
    action = choice.action
    rule = _rule_name(action.stage, action.quadrant)
    if choice.beaten is None:
        why = _("Chosen by %(rule)s.") % {"rule": rule}
    else:
        why = _(
            "Chosen by %(rule)s. It comes before %(other)s by priority "
            "(%(mine)s against %(theirs)s)."
        ) % {
            "rule": rule,
            "other": _rule_name(choice.beaten.stage, choice.beaten.quadrant),
            "mine": action.priority,
            "theirs": choice.beaten.priority,
        }
    reasons = _churn_reasons(snapshot.churn_reasons)
    matched = (
        _("Main reason to address: %(reason)s.") % {"reason": reasons[0]["text"]}
        if snapshot.stage in (Stage.AT_RISK, Stage.LAPSED) and reasons
        else ""
    )
    return {
        "title": action_title(action),
        "text": action_text(action),
        "channel": _label(ActionChannel, action.channel),
        "why": why,
        "matched": matched,
        "pk": action.pk,
    }


# --- timeline ----------------------------------------------------------------


def stage_change_text(change: StageChange) -> str:
    """``Became mature (was growing)``."""
    new = _label(Stage, change.to_stage)
    if not change.from_stage:
        return _("Stage: %(new)s") % {"new": new}
    return _("Became %(new)s (was %(old)s)") % {
        "new": new.lower() if not reads_chinese() else new,
        "old": _label(Stage, change.from_stage).lower()
        if not reads_chinese()
        else _label(Stage, change.from_stage),
    }


def _score_changes(newer: ScoreSnapshot, older: ScoreSnapshot) -> list[str]:
    texts = []
    if newer.quadrant != older.quadrant:
        texts.append(
            _("Value quadrant: %(new)s (was %(old)s)")
            % {
                "new": _label(Quadrant, newer.quadrant),
                "old": _label(Quadrant, older.quadrant),
            }
        )
    if newer.emotion != older.emotion:
        texts.append(
            _("Emotion layer: %(new)s (was %(old)s)")
            % {
                "new": _label(Emotion, newer.emotion),
                "old": _label(Emotion, older.emotion),
            }
        )
    if newer.churn_risk is not None and older.churn_risk is not None:
        step = newer.churn_risk - older.churn_risk
        values = {"old": _percent(older.churn_risk), "new": _percent(newer.churn_risk)}
        if step >= RISK_STEP:
            texts.append(_("Churn risk rose from %(old)s to %(new)s") % values)
        elif step <= -RISK_STEP:
            texts.append(_("Churn risk fell from %(old)s to %(new)s") % values)
    return texts


def score_timeline_events(
    history: Sequence[ScoreSnapshot],
) -> list[tuple[dt.date, str]]:
    """(as-of date, text) of the score changes worth telling between one run's
    snapshot and the previous one (``history`` is the latest first); stage
    changes are told by their own records."""
    events = []
    for newer, older in itertools.pairwise(history):
        events += [(newer.as_of, text) for text in _score_changes(newer, older)]
    return events
