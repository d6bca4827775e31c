"""Activities staff log on the customer page: a call, a WeCom/WeChat
conversation, a visit, a note or a complaint. They are ordinary
:class:`~guanxi.customers.models.Interaction` rows (a complaint logged here is
the complaint the warning signals count), with ``logged_by`` set: whoever
logged one may change or delete it for :data:`ACTIVITY_EDIT_HOURS` hours,
then it is read-only. Re-exported by ``customers.services``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.normalize import parse_datetime
from guanxi.core.values import check_moment, clean_multiline, parse_id
from guanxi.customers.choices import LOGGED_KINDS, ContactChannel
from guanxi.customers.models import Customer, Interaction
from guanxi.customers.selectors import customer_scope
from guanxi.customers.signals import interactions_announce

__all__ = [
    "ACTIVITY_EDIT_HOURS",
    "activity_check_editable",
    "activity_delete",
    "activity_editable",
    "activity_get",
    "activity_log",
    "activity_update",
]

#: How long after logging an activity its author may change or delete it.
ACTIVITY_EDIT_HOURS = 24
#: How far ahead of now an activity's time may be (clocks differ a little).
FUTURE_LEEWAY = dt.timedelta(minutes=5)
#: Kinds whose text may not be empty (a note or complaint without words says
#: nothing).
TEXT_REQUIRED = ("note", "complaint")


def _values(
    *, kind: Any, channel: Any, note: Any, occurred_at: Any, now: dt.datetime
) -> dict[str, Any]:
    """The activity's fields checked and cleaned, or ValidationFailed naming
    the field."""
    kind_value = "" if kind is None else str(kind).strip()
    if kind_value not in LOGGED_KINDS:
        raise ValidationFailed(_("choose what kind of activity this was"), field="kind")
    channel_value = "" if channel is None else str(channel).strip()
    if channel_value not in ContactChannel.values:
        raise ValidationFailed(_("choose a channel from the list"), field="channel")
    try:
        text = clean_multiline(note, field="note")
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="note") from None
    if not text and kind_value in TEXT_REQUIRED:
        raise ValidationFailed(_("write what was said"), field="note")
    if occurred_at in (None, ""):
        when = now
    else:
        try:
            when = check_moment(
                parse_datetime(occurred_at, tz=timezone.get_current_timezone()),
                now=now,
            )
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field="occurred_at") from None
        if when > now + FUTURE_LEEWAY:
            raise ValidationFailed(
                _("an activity cannot be logged in the future"), field="occurred_at"
            )
    return {"kind": kind_value, "channel": channel_value, "note": text, "when": when}


def _may_log(actor: Any) -> None:
    if not policy_for(actor).may_log_activities:
        raise PermissionDenied(_("your role may not log activities"))


@transaction.atomic
def activity_log(
    *,
    actor: Any,
    customer: Customer,
    kind: Any,
    channel: Any = "",
    note: Any = "",
    occurred_at: Any = None,
    now: dt.datetime | None = None,
) -> Interaction:
    """Log an activity with ``customer`` (in ``actor``'s scope), at
    ``occurred_at`` (default: now)."""
    _may_log(actor)
    if not customer_scope(actor=actor).filter(pk=customer.pk).exists():
        raise NotFound(_("customer not found"))
    values = _values(
        kind=kind,
        channel=channel,
        note=note,
        occurred_at=occurred_at,
        now=now or timezone.now(),
    )
    interaction = Interaction.objects.create(
        customer=customer,
        kind=values["kind"],
        channel=values["channel"],
        note=values["note"],
        occurred_at=values["when"],
        logged_by=actor,
    )
    interactions_announce(customer_ids=[customer.pk], kinds=[interaction.kind])
    return interaction


def activity_get(*, actor: Any, customer: Customer, pk: Any) -> Interaction:
    """One interaction of ``customer`` (whom the caller got in scope)."""
    number = parse_id(pk)
    found = (
        Interaction.objects.filter(pk=number, customer_id=customer.pk).first()
        if number is not None
        else None
    )
    if found is None or not customer_scope(actor=actor).filter(pk=customer.pk).exists():
        raise NotFound(_("activity not found"))
    return found


def activity_editable(
    interaction: Interaction, *, actor: Any, now: dt.datetime | None = None
) -> bool:
    """Whether ``actor`` may still change or delete ``interaction``: they logged
    it, less than :data:`ACTIVITY_EDIT_HOURS` hours ago."""
    if interaction.logged_by_id is None or interaction.logged_by_id != getattr(
        actor, "pk", None
    ):
        return False
    if not policy_for(actor).may_log_activities:
        return False
    age = (now or timezone.now()) - interaction.created_at
    return age <= dt.timedelta(hours=ACTIVITY_EDIT_HOURS)


def activity_check_editable(
    interaction: Interaction, *, actor: Any, now: dt.datetime | None = None
) -> None:
    """Raise PermissionDenied unless ``actor`` may still change ``interaction``."""
    _may_log(actor)
    if not activity_editable(interaction, actor=actor, now=now):
        raise PermissionDenied(
            _(
                "only who logged an activity may change or delete it, "
                "for %(hours)s hours after logging it"
            )
            % {"hours": ACTIVITY_EDIT_HOURS}
        )


@transaction.atomic
def activity_update(
    *,
    actor: Any,
    interaction: Interaction,
    kind: Any,
    channel: Any = "",
    note: Any = "",
    occurred_at: Any = None,
    now: dt.datetime | None = None,
) -> Interaction:
    now = now or timezone.now()
    activity_check_editable(interaction, actor=actor, now=now)
    values = _values(
        kind=kind,
        channel=channel,
        note=note,
        occurred_at=occurred_at or interaction.occurred_at,
        now=now,
    )
    interaction.kind = values["kind"]
    interaction.channel = values["channel"]
    interaction.note = values["note"]
    interaction.occurred_at = values["when"]
    interaction.save(update_fields=["kind", "channel", "note", "occurred_at"])
    return interaction


@transaction.atomic
def activity_delete(
    *, actor: Any, interaction: Interaction, now: dt.datetime | None = None
) -> None:
    activity_check_editable(interaction, actor=actor, now=now or timezone.now())
    interaction.delete()
