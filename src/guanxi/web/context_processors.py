"""Template context: the current user's role, policy and navigation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.access.policies import Policy, policy_for
from guanxi.needs.services import needs_may_read


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool
    #: Where the page fetches a count to show beside the label after it has
    #: loaded (the care tasks due today), so no page pays for it up front.
    badge_url: str = ""


def _first_url_in(namespace: str) -> str | None:
    """The first argument-free URL of an app namespace, or None when the app has
    none mounted (the imports wizard lives in another app and may be absent)."""
    resolver = get_resolver()
    if namespace not in resolver.namespace_dict:
        return None
    _prefix, sub = resolver.namespace_dict[namespace]
    for pattern in sub.url_patterns:
        name = getattr(pattern, "name", None)
        if not name:
            continue
        try:
            return reverse(f"{namespace}:{name}")
        except NoReverseMatch:
            continue
    return None


def navigation(request: HttpRequest, policy: Policy) -> list[NavItem]:
    if not policy.active:
        return []
    entries: list[tuple[Any, str | None]] = [
        (_("Dashboard"), reverse("web:dashboard")),
        (_("Customers"), reverse("customers:customer-list")),
        (_("Orders"), reverse("commerce:order-list")),
        (_("Messages"), reverse("outbox:message-list")),
        (_("Tickets"), reverse("feedback:inbox")),
        (_("Segments"), _first_url_in("segments")),
        (_("Surveys"), reverse("surveys:home")),
    ]
    badges: dict[str, str] = {}
    if policy.may_work_care_tasks or policy.care_checklist:
        today_url = reverse("care:inbox")
        entries.insert(1, (pgettext_lazy("care inbox", "Today"), today_url))
        badges[today_url] = reverse("care:inbox-count")
    if policy.may_import:
        entries.append((_("Imports"), _first_url_in("ingest")))
    if needs_may_read(actor=request.user):
        entries.append((pgettext_lazy("needs app", "Needs"), reverse("needs:list")))
    path = request.path
    items = []
    for label, url in entries:
        if url is None:
            continue
        root = reverse("web:dashboard")
        active = path == url if url == root else path.startswith(url)
        items.append(
            NavItem(
                label=str(label), url=url, active=active, badge_url=badges.get(url, "")
            )
        )
    return items


def settings_navigation(policy: Policy) -> list[NavItem]:
    """The settings pages, in the user menu: the main bar keeps the daily work
    and fits a desktop's width with every role's links."""
    entries: list[tuple[Any, str | None]] = []
    if policy.may_administer:
        entries.append((_("Scoring"), _first_url_in("insights")))
        entries.append((_("Playbook"), _first_url_in("playbook")))
        entries.append((_("Care settings"), reverse("care:settings")))
        entries.append((_("SLA settings"), reverse("feedback:settings")))
    if policy.may_manage_tags:
        entries.append((_("Tags"), reverse("tags:tag-settings")))
    if policy.may_use_templates:
        entries.append((_("Templates"), reverse("message-templates:template-list")))
    if policy.may_send_broadcasts:
        entries.append((_("Journeys"), _first_url_in("journeys")))
    return [
        NavItem(label=str(label), url=url, active=False)
        for label, url in entries
        if url is not None
    ]


def role(request: HttpRequest) -> dict[str, Any]:
    policy = policy_for(getattr(request, "user", None))
    return {
        "policy": policy,
        "role": policy.role,
        "nav_items": navigation(request, policy),
        "settings_items": settings_navigation(policy),
    }
