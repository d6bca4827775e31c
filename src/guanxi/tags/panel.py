"""What the tag templates show: the customer page's tag panel and preferences,
and the tags settings page (one place builds each, for the views and the
template tags)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.customers.choices import TagColor, TagKind
from guanxi.customers.selectors import (
    customer_tag_links,
    tag_list,
    tag_list_counted,
)
from guanxi.insights.selectors import latest_as_of
from guanxi.tags.rules import channel_label
from guanxi.tags.selectors import (
    customer_preferences,
    tag_coverage_list,
    tag_rules,
)

__all__ = ["panel_context", "preferences_context", "settings_context"]


def panel_context(*, actor: Any, customer_id: int) -> dict[str, Any]:
    """The customer's tags, manual ones first, and what ``actor`` may do."""
    policy = policy_for(actor)
    links = list(customer_tag_links(customer_id=customer_id))
    return {
        "pk": customer_id,
        "manual": [link for link in links if link.tag.kind == TagKind.MANUAL],
        "automatic": [link for link in links if link.tag.kind == TagKind.AUTOMATIC],
        "may_tag": policy.may_tag_customers,
        "may_create": policy.may_create_tags,
        "error": "",
    }


def preferences_context(*, customer_id: int, chinese: bool) -> dict[str, Any]:
    """The customer's preferences as of the latest run (today before one)."""
    prefs = customer_preferences(
        customer_id, as_of=latest_as_of() or timezone.localdate()
    )
    busiest = max(prefs.weekdays) if prefs.known else 0
    share = prefs.channel_share
    return {
        "prefs": prefs,
        "channel": (
            channel_label(prefs.channel, chinese=chinese) if prefs.channel else ""
        ),
        "channel_percent": round(100 * share) if share is not None else None,
        "categories": [(name, round(100 * part)) for name, part in prefs.categories],
        "gap_days": (
            round(prefs.usual_gap_days) if prefs.usual_gap_days is not None else None
        ),
        "weekdays": [
            {
                "label": label,
                "count": count,
                "top": bool(busiest) and count == busiest,
            }
            for label, count in zip(_weekday_labels(), prefs.weekdays, strict=True)
        ],
    }


def _weekday_labels() -> list[str]:
    return [
        _("Mon"),
        _("Tue"),
        _("Wed"),
        _("Thu"),
        _("Fri"),
        _("Sat"),
        _("Sun"),
    ]


def settings_context(*, actor: Any, query: Mapping[str, str]) -> dict[str, Any]:
    """The tags settings page: coverage of the recent runs, and every tag with
    its kind, colour and customers (filtered by ``?q=`` and ``?kind=``)."""
    text = " ".join(str(query.get("q", "")).split())[:64]
    kind = query.get("kind", "")
    tags = tag_list_counted(actor=actor)
    if text:
        tags = tags.filter(name__icontains=text) | tags.filter(name_en__icontains=text)
    if kind in TagKind.values:
        tags = tags.filter(kind=kind)
    coverage = list(tag_coverage_list(limit=12))
    listed = list(tags)
    return {
        "coverage": coverage[0] if coverage else None,
        "history": coverage,
        "rules": tag_rules(),
        "tags": listed,
        "manual_names": sorted(
            tag_list().filter(kind=TagKind.MANUAL).values_list("name", flat=True)
        ),
        "colors": TagColor.choices,
        "kinds": TagKind.choices,
        "filters": {"q": text, "kind": kind if kind in TagKind.values else ""},
        "form_error": "",
    }
