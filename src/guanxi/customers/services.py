"""Writes for customers. Every write keeps the blind indexes in step with the data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.normalize import (
    normalize_email,
    normalize_phone,
    parse_date,
    parse_datetime,
)
from guanxi.core.values import (
    TEXT_LIMITS,
    check_birthday,
    check_moment,
    clean_line,
    clean_multiline,
    parse_id,
)
from guanxi.customers.choices import InteractionKind
from guanxi.customers.models import Customer, CustomerIdentity, Interaction, Tag
from guanxi.customers.search import email_key, name_tokens, phone_key
from guanxi.customers.selectors import customer_scope

__all__ = [
    "customer_apply_contact",
    "customer_create",
    "customer_update",
    "interaction_create",
    "tags_ensure",
]

EDITABLE_FIELDS = {
    "name",
    "phone",
    "email",
    "address",
    "birthday",
    "gender",
    "city",
    "preferred_channel",
    "assigned_manager",
}


def customer_apply_contact(customer: Customer) -> Customer:
    """Recompute the search keys from the (already normalised) contact fields."""
    customer.phone_index = phone_key(customer.phone)
    customer.email_index = email_key(customer.email)
    customer.name_tokens = name_tokens(customer.name)
    birthday = customer.birthday
    customer.birth_year = birthday.year if isinstance(birthday, dt.date) else None
    return customer


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """The values with the rules of :mod:`guanxi.core.values` applied (the API's
    serializer applied them already; other callers get the same rules)."""
    cleaned = dict(values)
    for field in ("name", "address", "city"):
        if cleaned.get(field) is not None:
            try:
                cleaned[field] = clean_line(cleaned[field], field=field)
            except ValidationFailed as exc:
                raise ValidationFailed(exc.message, field=field) from None
    birthday = cleaned.get("birthday")
    if birthday is not None:
        try:
            cleaned["birthday"] = check_birthday(parse_date(birthday))
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field="birthday") from None
    for field, parse in (("phone", normalize_phone), ("email", normalize_email)):
        if field in cleaned:
            raw = cleaned[field]
            if raw in (None, ""):
                cleaned[field] = None
                continue
            try:
                cleaned[field] = parse(raw)
            except ValidationFailed as exc:
                raise ValidationFailed(exc.message, field=field) from None
    if "assigned_manager" in cleaned:
        cleaned["assigned_manager"] = _manager(cleaned["assigned_manager"])
    return cleaned


def _manager(value: Any) -> Any:
    """A user, a user id or nothing: the active user, or None."""
    User = get_user_model()
    if value in (None, "") or isinstance(value, User):
        return value or None
    pk = parse_id(value)
    user = User.objects.filter(pk=pk, is_active=True).first() if pk else None
    if user is None:
        raise ValidationFailed(
            _("no active user with this id"), field="assigned_manager"
        )
    return user


def _check_unique_contact(customer: Customer) -> None:
    others = Customer.objects.exclude(pk=customer.pk)
    if (
        customer.phone_index
        and others.filter(phone_index=customer.phone_index).exists()
    ):
        raise ValidationFailed(
            _("another customer has this phone number"), field="phone"
        )
    if (
        customer.email_index
        and others.filter(email_index=customer.email_index).exists()
    ):
        raise ValidationFailed(
            _("another customer has this email address"), field="email"
        )


@transaction.atomic
def customer_create(
    *,
    actor: Any,
    tags: list[str] | None = None,
    identities: list[tuple[str, str]] | None = None,
    **values: Any,
) -> Customer:
    """Create one customer; phone and email must not belong to another customer."""
    policy = policy_for(actor)
    if not policy.may_edit_customers:
        raise PermissionDenied(_("your role may not create customers"))
    unknown = set(values) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(_("unknown field: %(f)s") % {"f": sorted(unknown)[0]})
    if "assigned_manager" in values and not policy.may_assign_manager:
        raise PermissionDenied(_("your role may not assign account managers"))
    cleaned = _clean(values)
    if not (cleaned.get("name") or cleaned.get("phone") or cleaned.get("email")):
        raise ValidationFailed(
            _("a customer needs a name, a phone number or an email address")
        )
    customer = Customer(**cleaned)
    if policy.own_customers_only and "assigned_manager" not in values:
        customer.assigned_manager = actor
    customer.first_seen_at = timezone.now()
    customer_apply_contact(customer)
    _check_unique_contact(customer)
    customer.save()
    if tags:
        customer.tags.set(tags_ensure(names=tags))
    for source, external_id in identities or []:
        CustomerIdentity.objects.create(
            customer=customer, source=source, external_id=external_id
        )
    return customer


@transaction.atomic
def customer_update(*, actor: Any, customer: Customer, **values: Any) -> Customer:
    policy = policy_for(actor)
    if not policy.may_edit_customers:
        raise PermissionDenied(_("your role may not edit customers"))
    tags = values.pop("tags", None)
    unknown = set(values) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(_("unknown field: %(f)s") % {"f": sorted(unknown)[0]})
    if "assigned_manager" in values and not policy.may_assign_manager:
        raise PermissionDenied(_("your role may not assign account managers"))
    for field, value in _clean(values).items():
        setattr(customer, field, value)
    if not (customer.name or customer.phone or customer.email):
        raise ValidationFailed(
            _("a customer needs a name, a phone number or an email address")
        )
    customer_apply_contact(customer)
    _check_unique_contact(customer)
    customer.save()
    if tags is not None:
        customer.tags.set(tags_ensure(names=tags))
    return customer


def tags_ensure(*, names: list[str]) -> list[Tag]:
    """Return the tags with these names, creating the missing ones."""
    try:
        cleaned = [clean_line(n, field="tag") for n in names if n]
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="tags") from None
    wanted = [n for n in cleaned if n]
    existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    missing = [Tag(name=n) for n in dict.fromkeys(wanted) if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    return [existing[n] for n in dict.fromkeys(wanted)]


@transaction.atomic
def interaction_create(
    *,
    actor: Any,
    customer: Any,
    kind: Any,
    occurred_at: Any,
    channel: Any = "",
    note: Any = "",
    source: Any = "",
    external_id: Any = None,
) -> tuple[Interaction, bool]:
    """Record something a customer did; returns ``(interaction, created)``.

    ``customer`` is a customer or its id, and must be in ``actor``'s scope. With a
    ``source`` and ``external_id`` the call is idempotent: recording the same
    interaction again returns the stored one unchanged.
    """
    if not policy_for(actor).may_edit_customers:
        raise PermissionDenied(_("your role may not record interactions"))
    scope = customer_scope(actor=actor)
    pk = parse_id(customer.pk if isinstance(customer, Customer) else customer)
    target = scope.filter(pk=pk).first() if pk is not None else None
    if target is None:
        raise ValidationFailed(_("unknown customer"), field="customer")
    kind_value = "" if kind is None else str(kind).strip()
    if kind_value not in InteractionKind.values:
        raise ValidationFailed(
            _("not a valid kind (expected one of: %(choices)s)")
            % {"choices": ", ".join(InteractionKind.values)},
            field="kind",
        )
    if occurred_at in (None, ""):
        raise ValidationFailed(_("this field is required"), field="occurred_at")
    try:
        when = check_moment(
            parse_datetime(occurred_at, tz=timezone.get_current_timezone())
        )
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="occurred_at") from None
    texts = {}
    for field, value in (
        ("channel", channel),
        ("source", source),
        ("external_id", external_id),
        ("note", note),
    ):
        try:
            texts[field] = (
                clean_multiline(value, field=field)
                if field == "note"
                else clean_line(value, field=field, limit=TEXT_LIMITS[field])
            )
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field=field) from None
    key = texts["external_id"] or None
    if key is not None:
        found = Interaction.objects.filter(source=texts["source"], external_id=key)
        stored = found.first()
        if stored is not None:
            if not scope.filter(pk=stored.customer_id).exists():
                raise ValidationFailed(
                    _("this interaction id is already taken"), field="external_id"
                )
            return stored, False
    interaction = Interaction.objects.create(
        customer=target,
        kind=kind_value,
        occurred_at=when,
        channel=texts["channel"],
        note=texts["note"],
        source=texts["source"],
        external_id=key,
    )
    return interaction, True
