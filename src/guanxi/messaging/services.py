"""Writes of messaging: the consent ledger, sending to an audience and the
channels' settings set on the admin page."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.audit.services import settings_changed
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.selectors import customer_rows
from guanxi.messaging.audiences import Audience, audience_customers
from guanxi.messaging.channel_settings import (
    CHANNEL_SETTINGS,
    channel_settings_forget,
    channel_settings_stored,
    setting_from_environment,
)
from guanxi.messaging.channels.base import Envelope, Outcome
from guanxi.messaging.choices import MessageChannel, Purpose
from guanxi.messaging.consent import consent_record, consent_unsubscribe
from guanxi.messaging.delivery import messages_dispatch
from guanxi.messaging.erasure import (
    customer_messaging_erase,
    messages_purge,
    tracking_events_purge,
)
from guanxi.messaging.mail_events import mail_events_record
from guanxi.messaging.models import (
    ChannelSetting,
    ChannelSettingChange,
    LedgerRefused,
    Template,
)
from guanxi.messaging.outbox import QueueCount, suppressions_rekey
from guanxi.messaging.queueing import (
    broadcast_dry_run,
    broadcast_queue,
    personal_queue,
)
from guanxi.messaging.receipts import sms_receipts_record
from guanxi.messaging.rendering import MessageTemplate, template_parse
from guanxi.messaging.senders import (
    channel_setup_check,
    channel_template_check,
    sender_for,
)
from guanxi.messaging.staffmail import StaffMailer, staff_mail_each
from guanxi.messaging.stored import (
    TemplateFields,
    template_audience_languages,
    template_delete,
    template_ensure,
    template_language,
    template_languages,
    template_save,
    template_version,
)
from guanxi.messaging.tasks import messages_dispatch_soon
from guanxi.messaging.tracking import click_follow, open_record

__all__ = [
    "LedgerRefused",
    "StaffMailer",
    "TemplateFields",
    "broadcast_preview",
    "broadcast_send",
    "broadcast_send_customers",
    "broadcast_send_stored",
    "channel_settings_save",
    "channel_test_email",
    "click_follow",
    "consent_record",
    "consent_unsubscribe",
    "customer_messaging_erase",
    "mail_events_record",
    "messages_dispatch",
    "messages_dispatch_soon",
    "messages_purge",
    "open_record",
    "personal_preview",
    "personal_send",
    "service_message_queue",
    "sms_receipts_record",
    "staff_mail_each",
    "suppressions_rekey",
    "template_delete",
    "template_ensure",
    "template_save",
    "tracking_events_purge",
]


def _broadcast_checked(
    *,
    channel: str,
    purpose: str,
    template: MessageTemplate,
    audience: str,
    selected: Audience | None = None,
) -> Audience:
    """The audience of a send whose channel, purpose and template are good
    (``selected``: the customers ticked on the list, already checked);
    ``ValidationFailed`` for the first that is not."""
    if channel not in MessageChannel.values:
        raise ValidationFailed(_("Unknown channel: %(value)r.") % {"value": channel})
    if purpose not in {Purpose.SERVICE, Purpose.MARKETING}:
        raise ValidationFailed(
            _("The purpose is service or marketing, not %(value)r.")
            % {"value": purpose}
        )
    sender_for(channel).close()  # set up? (raises when not)
    channel_template_check(channel=channel, purpose=purpose, template=template)
    return selected if selected is not None else audience_customers(audience)


def _broadcast_queue(
    *,
    channel: str,
    purpose: str,
    template: MessageTemplate,
    audience: str,
    actor: Any,
    limit: int | None = None,
    language: str = "",
    other: MessageTemplate | None = None,
    selected: Audience | None = None,
) -> QueueCount:
    who = _broadcast_checked(
        channel=channel,
        purpose=purpose,
        template=template,
        audience=audience,
        selected=selected,
    )
    who = _within(who, limit)
    with transaction.atomic():
        _broadcast, count = broadcast_queue(
            channel=channel,
            purpose=purpose,
            template=template,
            customers=who.customers,
            ids=who.ids,
            audience=audience,
            actor=actor,
            language=language,
            other=other,
        )
        if count.queued:
            transaction.on_commit(messages_dispatch_soon)
    return count


def broadcast_send(
    *,
    channel: str,
    purpose: str,
    template_text: str,
    audience: str,
    actor: Any = None,
) -> QueueCount:
    """Queue one message per customer of ``audience`` and have the workers
    send them. Checks the channel, the template and the audience first:
    nothing is queued when any is wrong (``ValidationFailed``)."""
    if channel not in MessageChannel.values:
        raise ValidationFailed(_("Unknown channel: %(value)r.") % {"value": channel})
    template = template_parse(
        template_text, needs_subject=channel == MessageChannel.EMAIL
    )
    return _broadcast_queue(
        channel=channel,
        purpose=purpose,
        template=template,
        audience=audience,
        actor=actor,
    )


def _within(who: Audience, limit: int | None) -> Audience:
    """``who``, unless it has more than ``limit`` customers."""
    if limit is None:
        return who
    size = len(who.ids) if who.ids is not None else who.customers.count()
    if size > limit:
        raise ValidationFailed(
            _(
                "This audience has %(n)d customers, more than the %(max)d a page "
                "queues at once: send it with guanxi send --template-name."
            )
            % {"n": size, "max": limit},
            field="audience",
        )
    return who


def broadcast_send_stored(
    *,
    template: Template,
    audience: str,
    actor: Any = None,
    limit: int | None = None,
    selected: Audience | None = None,
) -> QueueCount:
    """:func:`broadcast_send` of a stored template, on its channel and for its
    purpose; each customer gets the version in their language when it has
    one (both versions are kept on the broadcast, checked like the first).
    Refused when the audience has more than ``limit`` customers.
    ``selected``: the customers ticked on the list (``audience_selected``)
    instead of ``audience``."""
    languages = template_languages(template)
    other = template_version(template, languages[1]) if len(languages) > 1 else None
    if other is not None:
        channel_template_check(
            channel=template.channel, purpose=template.purpose, template=other
        )
    return _broadcast_queue(
        channel=template.channel,
        purpose=template.purpose,
        template=template_version(template, languages[0]),
        audience=audience,
        actor=actor,
        limit=limit,
        language=languages[0],
        other=other,
        selected=selected,
    )


def service_message_queue(
    *, customer_id: int, channel: str, template_text: str, cause: str
) -> QueueCount:
    """Queue one service message (a ticket's progress notice, an answer) to
    one customer, on ``channel``, checked like a broadcast; ``cause`` names
    it in the outbox (``ticket:12``). Raises ``ValidationFailed`` when the
    channel is not set up or the template is wrong."""
    if channel not in MessageChannel.values:
        raise ValidationFailed(_("Unknown channel: %(value)r.") % {"value": channel})
    template = template_parse(
        template_text, needs_subject=channel == MessageChannel.EMAIL
    )
    sender_for(channel).close()  # set up? (raises when not)
    channel_template_check(channel=channel, purpose=Purpose.SERVICE, template=template)
    with transaction.atomic():
        _broadcast, count = broadcast_queue(
            channel=channel,
            purpose=Purpose.SERVICE,
            template=template,
            customers=customer_rows().filter(pk=customer_id),
            audience=cause,
        )
        if count.queued:
            transaction.on_commit(messages_dispatch_soon)
    return count


def broadcast_send_customers(
    *,
    template: Template,
    customers: QuerySet[Any],
    audience: str,
    now: dt.datetime | None = None,
    values: dict[int, dict[str, str]] | None = None,
) -> QueueCount:
    """Queue a stored template to ``customers`` (a queryset, chosen by an
    automated sender such as a journey step) as one broadcast, on the
    template's channel and for its purpose, settled exactly as
    :func:`broadcast_send_stored`. ``values``: each customer's own template
    values (``coupon_code``, ``product``), by customer id. ``ValidationFailed`` (nothing queued) when
    the channel is not set up or the template does not fit it."""
    languages = template_languages(template)
    version = template_version(template, languages[0])
    other = template_version(template, languages[1]) if len(languages) > 1 else None
    sender_for(template.channel).close()  # set up? (raises when not)
    for checked in (version, other):
        if checked is not None:
            channel_template_check(
                channel=template.channel, purpose=template.purpose, template=checked
            )
    with transaction.atomic():
        _broadcast, count = broadcast_queue(
            channel=template.channel,
            purpose=template.purpose,
            template=version,
            customers=customers,
            audience=audience,
            now=now,
            language=languages[0],
            other=other,
            values=values,
        )
        if count.queued:
            transaction.on_commit(messages_dispatch_soon)
    return count


def broadcast_preview(
    *,
    template: Template,
    audience: str,
    limit: int | None = None,
    selected: Audience | None = None,
) -> QueueCount:
    """What :func:`broadcast_send_stored` would queue and suppress (and why),
    after the same checks, writing nothing; ``languages``: how many of the
    queued get each version of the template."""
    who = _broadcast_checked(
        channel=template.channel,
        purpose=template.purpose,
        template=template_version(template, template_language(template)),
        audience=audience,
        selected=selected,
    )
    who = _within(who, limit)
    count = broadcast_dry_run(
        channel=template.channel,
        purpose=template.purpose,
        customers=who.customers,
        ids=who.ids,
    )
    count.languages = template_audience_languages(template, count.languages)
    return count


MAX_SETTING_CHARS = 2000


def _setting_value(name: str, value: str) -> str:
    value = value.strip()
    if len(value) > MAX_SETTING_CHARS:
        raise ValidationFailed(
            _("%(name)s is longer than %(max)d characters.")
            % {"name": name, "max": MAX_SETTING_CHARS}
        )
    if any(c in value for c in "\r\n\x00"):
        raise ValidationFailed(_("%(name)s must be one line.") % {"name": name})
    return value


def channel_settings_save(
    *,
    actor: Any,
    channel: str,
    values: dict[str, str],
    clear: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """Set (``values``) and clear (``clear``) settings of one channel on the
    admin page; the names that changed. A secret left empty keeps its value.
    The channel must then be off (nothing set) or complete and well formed:
    otherwise ``ValidationFailed`` and nothing changes. Each change is
    recorded with who and when, never the value."""
    if not policy_for(actor).may_administer:
        raise PermissionDenied(_("your role may not change the channels"))
    specs = CHANNEL_SETTINGS.get(channel)
    if specs is None:
        raise NotFound(_("No such channel."))
    known = {spec.name: spec for spec in specs}
    unknown = sorted((set(values) | set(clear)) - set(known))
    if unknown:
        raise ValidationFailed(
            _("%(name)s is not a setting of this channel.") % {"name": unknown[0][:64]}
        )
    stored = channel_settings_stored()
    wanted: dict[str, str] = {}
    for name in [spec.name for spec in specs]:
        spec = known[name]
        if name in clear:
            new = ""
        elif name in values:
            new = _setting_value(name, values[name])
            if spec.secret and not new:
                continue  # write-only: empty keeps what is set
        else:
            continue
        if new == stored.get(name, ""):
            continue
        if setting_from_environment(name):
            raise ValidationFailed(
                _("%(name)s is set in the environment; change it there.")
                % {"name": name}
            )
        wanted[name] = new
    if not wanted:
        return []
    now = timezone.now()
    try:
        with transaction.atomic():
            for name, new in wanted.items():
                if new:
                    ChannelSetting.objects.update_or_create(
                        name=name,
                        defaults={"value": new, "updated_at": now, "updated_by": actor},
                    )
                else:
                    ChannelSetting.objects.filter(name=name).delete()
                ChannelSettingChange.objects.create(
                    name=name,
                    action=ChannelSettingChange.Action.SET
                    if new
                    else ChannelSettingChange.Action.CLEARED,
                    changed_at=now,
                    changed_by=actor,
                )
            settings_changed(actor=actor, settings="channels", fields=wanted)
            channel_settings_forget()
            channel_setup_check(channel)  # raises: the transaction rolls back
    finally:
        channel_settings_forget()
    return list(wanted)


def channel_test_email(*, actor: Any) -> str:
    """Send a test e-mail to the admin's own address through the e-mail
    channel as it is set up; what happened, in words. Raises
    ``ValidationFailed`` when it was not sent (with the server's code, never
    a setting's value)."""
    if not policy_for(actor).may_administer:
        raise PermissionDenied(_("your role may not change the channels"))
    to = str(getattr(actor, "email", "") or "")
    if not to:
        raise ValidationFailed(
            _(
                "Your account has no e-mail address: add one on the Team page "
                "(the account menu, Team, your name), then send the test again."
            )
        )
    sender = sender_for(MessageChannel.EMAIL)
    text = _("This is a test from Guanxi: the e-mail channel works.")
    try:
        result = sender.send(
            Envelope(
                key=f"test-{secrets.token_hex(12)}",
                message_id=0,
                customer_id=0,
                purpose=Purpose.SERVICE,
                to=to,
                subject=_("Guanxi test e-mail"),
                text=text,
                html=f"<p>{text}</p>",
            )
        )
    finally:
        sender.close()
    if result.outcome is Outcome.SENT:
        return _("A test e-mail went to %(address)s.") % {"address": to}
    raise ValidationFailed(
        _("The test e-mail was not sent: %(code)s.") % {"code": result.code}
    )


def personal_send(
    *,
    channel: str,
    purpose: str,
    template_text: str,
    links: dict[int, str],
    audience: str,
    actor: Any = None,
    language: str = "",
    other_text: str = "",
) -> tuple[QueueCount, dict[int, int]]:
    """Queue one message per customer of ``links`` (customer id → that
    customer's own link, ``{{ survey_url }}`` in the template) and have the
    workers send them: the counts by outcome and each customer's message id.
    ``template_text`` is in ``language``; ``other_text`` (optional) in the
    other one: each customer gets the version in their language.
    The channel, purpose and template are checked first; nothing is queued
    when one is wrong (``ValidationFailed``). Consent, caps and quiet hours
    apply as to any message of that purpose."""
    if channel not in MessageChannel.values:
        raise ValidationFailed(_("Unknown channel: %(value)r.") % {"value": channel})
    if purpose not in {Purpose.SERVICE, Purpose.MARKETING}:
        raise ValidationFailed(
            _("The purpose is service or marketing, not %(value)r.")
            % {"value": purpose}
        )
    template = template_parse(
        template_text, needs_subject=channel == MessageChannel.EMAIL
    )
    other = (
        template_parse(other_text, needs_subject=channel == MessageChannel.EMAIL)
        if other_text.strip()
        else None
    )
    sender_for(channel).close()  # set up? (raises when not)
    for checked in (template, other):
        if checked is not None:
            channel_template_check(channel=channel, purpose=purpose, template=checked)
    if not links:
        return QueueCount(), {}
    with transaction.atomic():
        count, made = personal_queue(
            channel=channel,
            purpose=purpose,
            template=template,
            links=links,
            audience=audience,
            actor=actor,
            language=language,
            other=other,
        )
        if count.queued:
            transaction.on_commit(messages_dispatch_soon)
    return count, made


def personal_preview(
    *, channel: str, purpose: str, customer_ids: list[int]
) -> QueueCount:
    """What :func:`personal_send` to ``customer_ids`` would queue and
    suppress (and why), writing nothing (the same reasons, settled the same
    way; consent, caps and quiet hours are checked again when each is sent)."""
    if channel not in MessageChannel.values:
        raise ValidationFailed(_("Unknown channel: %(value)r.") % {"value": channel})
    if not customer_ids:
        return QueueCount()
    return broadcast_dry_run(
        channel=channel,
        purpose=purpose,
        customers=customer_rows(),
        ids=sorted(customer_ids),
    )
