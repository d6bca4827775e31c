"""Scores in words, in the reader's language: the one place that names the
churn model's features, the emotion layer's signals and what a quadrant means.

A churn reason is ``{"feature": name, "value": number, "effect": number}``;
an emotion reason ``{"signal": name, "count": n, "points": p}``. Names this
module does not know are still shown ("Other factor: name = value"), so a new
feature in the model never breaks a page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

__all__ = [
    "churn_reason_text",
    "days_text",
    "emotion_reason_text",
    "join_facts",
    "money",
    "number",
    "quadrant_meaning",
]


def _float(value: Any) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return 0.0
    return result if math.isfinite(result) else 0.0


def number(value: Any, digits: int = 1) -> str:
    """``12.0`` → ``12``, ``2.345`` → ``2.3``, ``1.50`` → ``1.5``; thousands
    grouped."""
    x = _float(value)
    if abs(x - round(x)) < 10 ** -(digits + 1):
        return f"{round(x):,}"
    text = f"{x:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value: Any) -> str:
    """Whole units of the currency, grouped: ``¥1,235``."""
    return f"¥{_float(value):,.0f}"


def _count(value: Any) -> int:
    return round(_float(value))


def days_text(days: Any) -> str:
    """``1 day`` / ``45 days`` (``45 天``)."""
    n = _count(days)
    return ngettext("%(n)s day", "%(n)s days", n) % {"n": f"{n:,}"}


def join_facts(*parts: str, sep: str = "clause") -> str:
    """Facts joined with the language's comma (``,`` / ``，``) or, for
    ``sep="group"``, its semicolon (``;`` / ``；``)."""
    joiner = _(", ") if sep == "clause" else _("; ")
    return joiner.join(p for p in parts if p)


# --- churn model features ----------------------------------------------------


def _signed(value: Any) -> str:
    x = _float(value)
    return ("+" if x > 0 else "−" if x < 0 else "") + number(abs(x))


def _signed_money(value: Any) -> str:
    x = _float(value)
    return ("+" if x > 0 else "−" if x < 0 else "") + money(abs(x))


_FEATURES: dict[str, Callable[[Any], str]] = {
    "days_since_last_purchase": lambda v: (
        ngettext("No purchase for %(n)s day", "No purchase for %(n)s days", _count(v))
        % {"n": number(v, 0)}
    ),
    "mean_interpurchase_days": lambda v: (
        ngettext(
            "Usually buys every %(n)s day", "Usually buys every %(n)s days", _count(v)
        )
        % {"n": number(v, 0)}
    ),
    "overdue_ratio": lambda v: (
        _("%(x)s× their usual time between purchases") % {"x": number(v)}
    ),
    "purchase_days": lambda v: (
        ngettext("Bought on %(n)s day", "Bought on %(n)s days", _count(v))
        % {"n": number(v, 0)}
    ),
    "frequency": lambda v: (
        ngettext("%(n)s repeat purchase", "%(n)s repeat purchases", _count(v))
        % {"n": number(v, 0)}
    ),
    "orders": lambda v: (
        ngettext("%(n)s order in all", "%(n)s orders in all", _count(v))
        % {"n": number(v, 0)}
    ),
    "total_spend": lambda v: _("Spent %(m)s in all") % {"m": money(v)},
    "mean_order_value": lambda v: _("%(m)s per order on average") % {"m": money(v)},
    "monetary_value": lambda v: (
        _("%(m)s per repeat purchase on average") % {"m": money(v)}
    ),
    "recency": lambda v: (
        ngettext(
            "%(n)s day between first and last purchase",
            "%(n)s days between first and last purchase",
            _count(v),
        )
        % {"n": number(v, 0)}
    ),
    "T": lambda v: (
        ngettext("Customer for %(n)s day", "Customer for %(n)s days", _count(v))
        % {"n": number(v, 0)}
    ),
    "orders_trend_90d": lambda v: (
        _("Orders in the last 90 days against the 90 before: %(d)s") % {"d": _signed(v)}
    ),
    "spend_trend_90d": lambda v: (
        _("Spend in the last 90 days against the 90 before: %(d)s")
        % {"d": _signed_money(v)}
    ),
    "contacts_trend_90d": lambda v: (
        _("Contacts in the last 90 days against the 90 before: %(d)s")
        % {"d": _signed(v)}
    ),
    "btyd_p_alive": lambda v: _("P(alive) %(p)s") % {"p": f"{_float(v):.2f}"},
    "btyd_expected_purchases": lambda v: (
        _("%(n)s purchases expected") % {"n": number(v)}
    ),
    "btyd_no_purchase": lambda v: (
        _("%(p)s%% chance of no purchase in the horizon")
        % {"p": number(100 * _float(v), 0)}
    ),
    "contacts": lambda v: (
        ngettext("%(n)s contact in all", "%(n)s contacts in all", _count(v))
        % {"n": number(v, 0)}
    ),
    "days_since_last_contact": lambda v: (
        ngettext("No contact for %(n)s day", "No contact for %(n)s days", _count(v))
        % {"n": number(v, 0)}
    ),
    "complaints": lambda v: (
        ngettext("%(n)s complaint in all", "%(n)s complaints in all", _count(v))
        % {"n": number(v, 0)}
    ),
}

_WINDOWED: dict[str, Callable[[Any, int], str]] = {
    "orders": lambda v, w: (
        ngettext(
            "%(n)s order in the last %(w)s days",
            "%(n)s orders in the last %(w)s days",
            _count(v),
        )
        % {"n": number(v, 0), "w": w}
    ),
    "purchase_days": lambda v, w: (
        ngettext(
            "Bought on %(n)s day in the last %(w)s days",
            "Bought on %(n)s days in the last %(w)s days",
            _count(v),
        )
        % {"n": number(v, 0), "w": w}
    ),
    "spend": lambda v, w: (
        _("Spent %(m)s in the last %(w)s days") % {"m": money(v), "w": w}
    ),
    "contacts": lambda v, w: (
        ngettext(
            "%(n)s contact in the last %(w)s days",
            "%(n)s contacts in the last %(w)s days",
            _count(v),
        )
        % {"n": number(v, 0), "w": w}
    ),
    "complaints": lambda v, w: (
        ngettext(
            "%(n)s complaint in the last %(w)s days",
            "%(n)s complaints in the last %(w)s days",
            _count(v),
        )
        % {"n": number(v, 0), "w": w}
    ),
}
_WINDOW = re.compile(r"^(orders|purchase_days|spend|contacts|complaints)_(\d{1,4})d$")


def churn_reason_text(feature: Any, value: Any) -> str:
    """One churn reason as a phrase: ``No purchase for 45 days``."""
    name = str(feature)
    known = _FEATURES.get(name)
    if known is not None:
        return known(value)
    windowed = _WINDOW.match(name)
    if windowed is not None:
        return _WINDOWED[windowed.group(1)](value, int(windowed.group(2)))
    return _("Other factor: %(name)s = %(value)s") % {
        "name": name[:64],
        "value": number(value, 2),
    }


# --- emotion layer signals ---------------------------------------------------

_SIGNALS: dict[str, Callable[[int], str]] = {
    "visit": lambda n: ngettext("%(n)s store visit", "%(n)s store visits", n),
    "login": lambda n: ngettext("%(n)s login", "%(n)s logins", n),
    "message_opened": lambda n: ngettext(
        "%(n)s message opened", "%(n)s messages opened", n
    ),
    "message_clicked": lambda n: ngettext(
        "%(n)s message clicked", "%(n)s messages clicked", n
    ),
    "community_post": lambda n: ngettext(
        "%(n)s community post", "%(n)s community posts", n
    ),
    "event_attended": lambda n: ngettext(
        "%(n)s event attended", "%(n)s events attended", n
    ),
    "review": lambda n: ngettext("%(n)s review", "%(n)s reviews", n),
    "purchase": lambda n: ngettext("%(n)s purchase day", "%(n)s purchase days", n),
    "complaint": lambda n: ngettext("%(n)s complaint", "%(n)s complaints", n),
    "referral": lambda n: ngettext("%(n)s referral", "%(n)s referrals", n),
}


def emotion_reason_text(signal: Any, count: Any, points: Any) -> str:
    """One engagement signal with its points: ``3 store visits (+6 points)``."""
    n = _count(count)
    known = _SIGNALS.get(str(signal))
    what = (
        known(n) % {"n": f"{n:,}"}
        if known is not None
        else _("%(name)s × %(n)s") % {"name": str(signal)[:64], "n": f"{n:,}"}
    )
    return _("%(what)s (%(points)s points)") % {
        "what": what,
        "points": _signed(points),
    }


# --- value quadrant ----------------------------------------------------------


def quadrant_meaning(quadrant: str) -> str:
    """What a quadrant means and what it calls for (the seed playbook's table)."""
    meanings = {
        "star": _(
            "High current value and high potential value: deepen the relationship "
            "and grow it further."
        ),
        "cash_cow": _(
            "High current value, low potential value: find new needs to raise "
            "their potential."
        ),
        "potential": _(
            "Low current value, high potential value: build the buying habit to "
            "raise their current value."
        ),
        "basic": _(
            "Low current value and low potential value: standard service at low cost."
        ),
    }
    return meanings.get(quadrant, "")
