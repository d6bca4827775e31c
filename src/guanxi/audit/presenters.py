"""How an audit event reads on the admins' page, in the reader's language."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.access.choices import Role
from guanxi.audit.choices import AuditAction
from guanxi.audit.models import AuditEvent

__all__ = ["audit_row"]

DETAIL_LABELS = {
    "via": gettext_lazy("through"),
    "kind": gettext_lazy("data"),
    "format": gettext_lazy("format"),
    "rows": gettext_lazy("rows"),
    "status": gettext_lazy("status"),
    "role_applied": gettext_lazy("role applied"),
    "filters": gettext_lazy("filters"),
    "for_people": gettext_lazy("for people"),
    "settings": gettext_lazy("settings"),
    "fields": gettext_lazy("fields"),
    "from_role": gettext_lazy("from role"),
    "to_role": gettext_lazy("to role"),
    "manager_id": gettext_lazy("account manager"),
    "count": gettext_lazy("customers"),
    "purpose": gettext_lazy("purpose"),
    "channel": gettext_lazy("channel"),
    "granted": gettext_lazy("granted"),
    "source": gettext_lazy("source"),
    "key_id": gettext_lazy("key"),
    "reencrypted": gettext_lazy("re-encrypted"),
    "window_minutes": gettext_lazy("within minutes"),
    "times": gettext_lazy("times"),
}
_ROLE_KEYS = {"role_applied", "from_role", "to_role"}


def _role(value: str) -> str:
    return str(Role(value).label) if value in Role.values else value or "—"


def _value(key: str, value: Any) -> str:
    if key in _ROLE_KEYS:
        return _role(str(value or ""))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def audit_row(event: AuditEvent) -> dict[str, Any]:
    """The event as the page shows it: labels for codes, the customer linked."""
    action = (
        AuditAction(event.action).label
        if event.action in AuditAction.values
        else event.action
    )
    return {
        "event": event,
        "who": event.actor_label or _("the system"),
        "role": _role(event.role) if event.role else "",
        "action": action,
        "customer_url": (
            reverse("customers:customer-detail", args=[event.customer_id])
            if event.customer_id
            else ""
        ),
        "object": f"{event.object_type} {event.object_id}".strip(),
        "details": [
            (str(DETAIL_LABELS.get(key, key)), _value(key, value))
            for key, value in sorted(event.details.items())
            if key != "via" or value
        ],
    }
