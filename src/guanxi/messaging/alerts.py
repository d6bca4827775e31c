"""E-mail to the administrators when the audit log raises an alert (today:
unusual numbers of searches by phone or e-mail, ``alert.searches``).

The audit log records the alert and sends ``audit.services.alert_raised``
after its commit; the receiver (in ``tasks``) queues one task, which e-mails
every active administrator with an address, each in their language: who
searched (the colleague's user name), how often, and a link to the audit
log. No customer's value is in it: the audit log never holds one. Without
e-mail set up nothing is queued; the audit page still shows the alert."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.choices import Role
from guanxi.access.policies import role_of
from guanxi.access.selectors import staff_list
from guanxi.audit.choices import AuditAction
from guanxi.messaging.staffmail import StaffMailer, staff_mail_each

__all__ = ["alert_mail_send"]


def alert_mail_send(*, action: str, actor_id: Any, details: dict[str, Any]) -> int:
    """E-mail the alert to every active administrator with an address; the
    number sent. Nothing (0) when e-mail is not set up."""
    if action != AuditAction.SEARCH_ALERT or not StaffMailer.configured():
        return 0
    admins = [
        user
        for user in staff_list().filter(is_active=True).exclude(email="")
        if role_of(user) == Role.ADMIN
    ]
    if not admins:
        return 0
    actor = get_user_model().objects.filter(pk=actor_id).first()
    who = actor.get_username() if actor is not None else f"#{actor_id}"
    url = str(settings.GUANXI_PUBLIC_URL).rstrip("/") + reverse("audit:event-list")
    url += f"?action={AuditAction.SEARCH_ALERT.value}"
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")

    def compose(admin: Any) -> tuple[str, str]:
        subject = _("Guanxi: unusual searches by phone or e-mail")
        text = _(
            "%(user)s searched customers by phone number or e-mail "
            "address %(times)s times within %(minutes)s minutes.\n\n"
            "Staff who look a caller up search a few numbers an hour. "
            "Many searches can be someone trying numbers one by one to "
            "learn whose a masked phone is. Please check with them.\n\n"
            "The audit log: %(url)s"
        ) % {
            "user": who,
            "times": details.get("times", "?"),
            "minutes": details.get("window_minutes", "?"),
            "url": url,
        }
        return subject, text

    return staff_mail_each(
        admins,
        key=lambda admin: f"alert-searches-{actor_id}-{admin.pk}-{stamp}",
        compose=compose,
        what="search alert mail",
    )
