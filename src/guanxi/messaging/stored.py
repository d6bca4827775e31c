"""Stored templates: checked when saved, in Chinese, English or both, and the
language a customer gets.

A stored template is saved only when every part renders: each subject and
body goes through :mod:`guanxi.messaging.rendering`'s checks (syntax, unknown
variables, the sandbox), and the channel's limits are checked with the sample
values: an e-mail subject is one line of at most ``SUBJECT_MAX`` characters,
other channels have no subject, an SMS has at most ``GUANXI_SMS_MAX_SEGMENTS``
parts (with the sign name in front).

Language: a customer gets the version in their own language when the
template has it, otherwise the one it has (:mod:`guanxi.messaging.languages`);
:func:`template_language` says which for a customer, a broadcast keeps both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.messaging.channels.sms import sms_length
from guanxi.messaging.choices import MessageChannel, Purpose
from guanxi.messaging.languages import LANGUAGES, language_chosen, language_wanted
from guanxi.messaging.models import Template
from guanxi.messaging.rendering import (
    BODY_MAX,
    SAMPLE,
    SUBJECT_MAX,
    MessageTemplate,
    Rendered,
    part_check,
    render,
)
from guanxi.messaging.senders import sms_body_check, sms_limits

__all__ = [
    "CHANNELS",
    "FIELDS",
    "LANGUAGES",
    "TemplateFields",
    "template_audience_languages",
    "template_check",
    "template_delete",
    "template_ensure",
    "template_get",
    "template_language",
    "template_languages",
    "template_list",
    "template_preview",
    "template_save",
    "template_version",
]

#: The channels a stored template is for (those ``guanxi send`` sends on).
CHANNELS = (
    MessageChannel.EMAIL,
    MessageChannel.SMS,
    MessageChannel.WECOM,
    MessageChannel.WEBHOOK,
)
PURPOSES = (Purpose.SERVICE, Purpose.MARKETING)
NAME_MAX = 100
#: The most a subject's source may hold (the column's size); rendered, at
#: most ``SUBJECT_MAX``.
SUBJECT_SOURCE_MAX = 400
#: What a person writes of a template, by field name (forms and the API).
FIELDS = (
    "name",
    "channel",
    "purpose",
    "subject_zh",
    "body_zh",
    "subject_en",
    "body_en",
)


@dataclass(frozen=True, kw_only=True)
class TemplateFields:
    """What a person writes of a template (the form or the API)."""

    name: str
    channel: str
    purpose: str
    subject_zh: str = ""
    body_zh: str = ""
    subject_en: str = ""
    body_en: str = ""

    def clean(self) -> TemplateFields:
        """Line ends normalised, the name and subjects trimmed."""

        def text(value: str) -> str:
            return value.replace("\r\n", "\n").replace("\r", "\n")

        return TemplateFields(
            name=self.name.strip(),
            channel=self.channel,
            purpose=self.purpose,
            subject_zh=text(self.subject_zh).strip(),
            body_zh=text(self.body_zh),
            subject_en=text(self.subject_en).strip(),
            body_en=text(self.body_en),
        )


def _parts(language: str) -> tuple[str, str]:
    if language == "en":
        return _("English subject"), _("English body")
    return _("Chinese subject"), _("Chinese body")


def _refuse(part: str, message: str, field: str) -> ValidationFailed:
    return ValidationFailed(
        _("%(part)s: %(message)s") % {"part": part, "message": message}, field=field
    )


def _check_language(fields: TemplateFields, language: str) -> None:
    suffix = "en" if language == "en" else "zh"
    subject = getattr(fields, f"subject_{suffix}")
    body = getattr(fields, f"body_{suffix}")
    subject_part, body_part = _parts(language)
    subject_field, body_field = f"subject_{suffix}", f"body_{suffix}"
    if not body.strip():
        if subject:
            raise _refuse(body_part, _("a subject needs a body."), body_field)
        return
    if fields.channel == MessageChannel.EMAIL:
        if not subject:
            raise _refuse(subject_part, _("an e-mail needs a subject."), subject_field)
        if "\n" in subject:
            raise _refuse(subject_part, _("a subject is one line."), subject_field)
    elif subject:
        raise _refuse(subject_part, _("only an e-mail has a subject."), subject_field)
    if len(body) > BODY_MAX:
        raise _refuse(
            body_part,
            _("longer than %(n)d characters.") % {"n": BODY_MAX},
            body_field,
        )
    if len(subject) > SUBJECT_SOURCE_MAX:
        raise _refuse(
            subject_part,
            _("longer than %(n)d characters.") % {"n": SUBJECT_SOURCE_MAX},
            subject_field,
        )
    for part, field, source in (
        (subject_part, subject_field, subject),
        (body_part, body_field, body),
    ):
        try:
            part_check(source)
        except ValidationFailed as error:
            raise _refuse(part, error.message, field) from None
    shown = render(subject=subject, body=body, values=SAMPLE)
    if len(shown.subject) > SUBJECT_MAX:
        raise _refuse(
            subject_part,
            _("%(n)d characters with sample values, more than %(max)d.")
            % {"n": len(shown.subject), "max": SUBJECT_MAX},
            subject_field,
        )
    if fields.channel == MessageChannel.SMS:
        sign_name, max_segments = sms_limits()
        try:
            sms_body_check(body, sign_name=sign_name, max_segments=max_segments)
        except ValidationFailed as error:
            raise _refuse(body_part, error.message, body_field) from None


def template_check(fields: TemplateFields) -> TemplateFields:
    """``fields`` cleaned, or ``ValidationFailed`` (with the form field) for
    the first thing wrong."""
    fields = fields.clean()
    if not fields.name:
        raise ValidationFailed(_("The template needs a name."), field="name")
    if len(fields.name) > NAME_MAX:
        raise ValidationFailed(
            _("The name is longer than %(n)d characters.") % {"n": NAME_MAX},
            field="name",
        )
    if fields.channel not in CHANNELS:
        raise ValidationFailed(
            _("The channel is email, sms, wecom or webhook, not %(value)r.")
            % {"value": fields.channel[:20]},
            field="channel",
        )
    if fields.purpose not in PURPOSES:
        raise ValidationFailed(
            _("The purpose is service or marketing, not %(value)r.")
            % {"value": fields.purpose[:20]},
            field="purpose",
        )
    if not any(
        (
            fields.subject_zh,
            fields.body_zh.strip(),
            fields.subject_en,
            fields.body_en.strip(),
        )
    ):
        raise ValidationFailed(
            _("Write the body in Chinese, in English or in both."), field="body_zh"
        )
    for language in LANGUAGES:
        _check_language(fields, language)
    return fields


# --- who sees and writes them ----------------------------------------------------


def template_list(*, actor: Any) -> QuerySet[Template]:
    """The templates ``actor`` may use: every one for those who write them,
    the service templates for the other roles that message customers,
    none for the rest."""
    policy = policy_for(actor)
    if not policy.may_use_templates:
        return Template.objects.none()
    templates = Template.objects.order_by("name", "pk")
    if not policy.may_write_templates:
        templates = templates.filter(purpose=Purpose.SERVICE)
    return templates


def template_get(*, actor: Any, pk: Any) -> Template:
    """One template ``actor`` may use; any other is answered as not found."""
    try:
        return template_list(actor=actor).get(pk=int(pk))
    except (Template.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("template not found")) from None


def _writer(actor: Any) -> None:
    if not policy_for(actor).may_write_templates:
        raise PermissionDenied(_("your role may not change templates"))


def template_save(
    *, actor: Any, fields: TemplateFields, template: Template | None = None
) -> Template:
    """Create (``template`` None) or change a template after checking every
    part. Raises ``ValidationFailed`` and stores nothing when a part is wrong."""
    _writer(actor)
    fields = template_check(fields)
    duplicate = Template.objects.filter(name=fields.name)
    if template is not None:
        duplicate = duplicate.exclude(pk=template.pk)
    if duplicate.exists():
        raise ValidationFailed(
            _("A template of that name already exists."), field="name"
        )
    now = timezone.now()
    by = actor if getattr(actor, "pk", None) else None
    target = template or Template(created_at=now, created_by=by)
    for name in ("name", "channel", "purpose", "subject_zh", "body_zh"):
        setattr(target, name, getattr(fields, name))
    target.subject_en, target.body_en = fields.subject_en, fields.body_en
    target.updated_at, target.updated_by = now, by
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:  # the same name saved at the same moment
        raise ValidationFailed(
            _("A template of that name already exists."), field="name"
        ) from None
    return target


def template_ensure(*, fields: TemplateFields) -> Template:
    """The template named ``fields.name``, created by the system (a shipped
    default, checked like any other) when there is none; an existing one is
    left as it is."""
    found = Template.objects.filter(name=fields.name.strip()).first()
    if found is not None:
        return found
    fields = template_check(fields)
    now = timezone.now()
    template = Template(created_at=now, updated_at=now)
    for name in FIELDS:
        setattr(template, name, getattr(fields, name))
    with transaction.atomic():
        template.save()
    return template


def template_delete(*, actor: Any, template: Template) -> None:
    """Delete a template. Broadcasts queued from it keep their own copy of
    its text, so nothing queued changes."""
    _writer(actor)
    with transaction.atomic():
        Template.objects.filter(pk=template.pk).delete()


# --- language and preview --------------------------------------------------------


def template_languages(template: Template) -> list[str]:
    """The languages ``template`` has a body in, the business's first."""
    first = language_wanted(None)
    return [
        language
        for language in sorted(LANGUAGES, key=lambda code: code != first)
        if template_version(template, language).body.strip()
    ]


def template_language(template: Template, customer: Any = None) -> str:
    """The language ``customer`` (None: a customer of the business's
    language) gets ``template`` in: theirs when the template has it,
    otherwise the one it has."""
    return language_chosen(
        wanted=language_wanted(customer), available=template_languages(template)
    )


def template_audience_languages(
    template: Template, by_language: dict[str, int]
) -> dict[str, int]:
    """How many customers get each version of ``template``, from how many
    there are of each customer language ("": the business's)."""
    available = template_languages(template)
    received = dict.fromkeys(available, 0)
    for language, n in by_language.items():
        chosen = language_chosen(
            wanted=language or language_wanted(None), available=available
        )
        if chosen:
            received[chosen] += n
    return received


def template_version(template: Template, language: str) -> MessageTemplate:
    """The subject and body of one language version."""
    if language == "en":
        return MessageTemplate(subject=template.subject_en, body=template.body_en)
    return MessageTemplate(subject=template.subject_zh, body=template.body_zh)


@dataclass(frozen=True)
class Preview:
    """One language version rendered for a customer."""

    language: str
    label: str
    chosen: bool
    rendered: Rendered
    sms_parts: int | None
    sms_units: int | None
    #: How many customers of an audience get this version (the send screen).
    customers: int | None = None


def template_preview(
    template: Template, *, values: dict[str, str], customer: Any = None
) -> list[Preview]:
    """Every language version of ``template`` rendered with ``values``, the
    one ``customer`` gets first; an SMS with its number of parts."""
    chosen = template_language(template, customer)
    previews = []
    sign_name, _max = sms_limits()
    for language in sorted(LANGUAGES, key=lambda code: code != chosen):
        version = template_version(template, language)
        if not version.body.strip():
            continue
        rendered = render(subject=version.subject, body=version.body, values=values)
        length = None
        if template.channel == MessageChannel.SMS:
            # The parts of this customer's text, not of the sample values.
            text = rendered.text.strip()
            length = sms_length(f"【{sign_name}】{text}" if sign_name else text)
        previews.append(
            Preview(
                language=language,
                label=_("Chinese") if language == "zh-hans" else _("English"),
                chosen=language == chosen,
                rendered=rendered,
                sms_parts=length.segments if length else None,
                sms_units=length.units if length else None,
            )
        )
    return previews
