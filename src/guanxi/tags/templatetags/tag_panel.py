"""Template tags that put the tags app's parts on other apps' pages.

``{% load tag_panel %}`` then ``{% customer_tag_panel pk %}`` renders the
customer's tags with add and remove (the customer page includes it), and
``{% customer_preferences_panel pk %}`` the customer's purchase preferences
(loaded by htmx after the page).
The page has checked that the customer is in the viewer's scope.
"""

from __future__ import annotations

from typing import Any

from django import template

from guanxi.tags.panel import panel_context

register = template.Library()


@register.inclusion_tag("tags/partials/customer_tags.html", takes_context=True)
def customer_tag_panel(context: template.Context, customer_id: int) -> dict[str, Any]:
    request = context.get("request")
    actor = getattr(request, "user", None)
    panel = panel_context(actor=actor, customer_id=int(customer_id))
    panel["csrf_token"] = context.get("csrf_token")
    return panel


@register.inclusion_tag("tags/partials/customer_preferences_slot.html")
def customer_preferences_panel(customer_id: int) -> dict[str, Any]:
    """A place the preferences load into after the page (they read the
    customer's orders of a year: the page does not wait for them)."""
    return {"pk": int(customer_id)}
