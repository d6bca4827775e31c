"""Writes for customers. Every write keeps the blind indexes in step with the data.

This is the customers app's face for writes: the bulk writers
(:mod:`guanxi.customers.bulk`), the customer matcher
(:mod:`guanxi.customers.matching`) that imports, the demo and the API use, and
the tag writes (:mod:`guanxi.customers.tagging`) are reached through here.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.access.policies import policy_for
from guanxi.audit.services import (
    customer_edited,
    durable_events,
    manager_assigned,
    scope_conflict_recorded,
)
from guanxi.core.errors import PermissionDenied, RateLimited, ValidationFailed
from guanxi.core.normalize import (
    normalize_email,
    normalize_phone,
    parse_date,
    parse_datetime,
)
from guanxi.core.ratelimit import rate_limit_reached, rate_limit_take
from guanxi.core.values import (
    TEXT_LIMITS,
    check_birthday,
    check_moment,
    clean_line,
    clean_multiline,
    parse_id,
)
from guanxi.customers.activities import (
    ACTIVITY_EDIT_HOURS,
    activity_check_editable,
    activity_delete,
    activity_editable,
    activity_get,
    activity_log,
    activity_update,
)
from guanxi.customers.automatic_tags import (
    AutomaticTagChange,
    AutomaticTagSpec,
    AutomaticTagWriter,
    tags_automatic_ensure,
)
from guanxi.customers.bulk import (
    CONTACT_VALUES,
    CustomerBulkWriter,
    InteractionBulkWriter,
    customer_indexes,
    customer_purchases_refresh,
    customer_tables_settle,
    customers_exist,
    identity_bulk_create,
    interaction_indexes,
    interactions_recorded,
    name_tokens_forget,
)
from guanxi.customers.choices import (
    Channel,
    CustomerChangeKind,
    Gender,
    InteractionKind,
)
from guanxi.customers.erasure import (
    customer_contact_indexes,
    customer_erase_rows,
    customer_tombstone_create,
    customers_inactive,
    interactions_purge,
)
from guanxi.customers.history import changed_fields, customer_change_record
from guanxi.customers.keys import customer_apply_contact
from guanxi.customers.matching import (
    ContactConflict,
    CustomerMatcher,
    KnownCustomer,
    MatchKey,
    contact_owners,
    written_pk,
)
from guanxi.customers.models import Customer, CustomerIdentity, Interaction
from guanxi.customers.preferences import language_parse, time_zone_parse
from guanxi.customers.rekey import (
    customer_pseudonyms_rebuild,
    customer_search_keys_rebuild,
    customers_total,
)
from guanxi.customers.search import email_key, phone_key
from guanxi.customers.selectors import customer_scope
from guanxi.customers.signals import interactions_announce, interactions_written
from guanxi.customers.tagging import (
    customer_tag_add,
    customer_tag_remove,
    customer_tags_bulk_add,
    customer_tags_bulk_remove,
    customer_tags_set_manual,
    tag_counts_refresh,
    tag_create,
    tag_delete,
    tag_merge,
    tag_name_clean,
    tag_update,
    tags_ensure,
)
from guanxi.privacy.selectors import ERASED_MESSAGE, contact_erased

__all__ = [
    "ACTIVITY_EDIT_HOURS",
    "CONTACT_FIELDS",
    "CONTACT_VALUES",
    "AutomaticTagChange",
    "AutomaticTagSpec",
    "AutomaticTagWriter",
    "ContactConflict",
    "ContactHeldElsewhere",
    "ContactTaken",
    "CustomerBulkWriter",
    "CustomerMatcher",
    "InteractionBulkWriter",
    "KnownCustomer",
    "MatchKey",
    "activity_check_editable",
    "activity_delete",
    "activity_editable",
    "activity_get",
    "activity_log",
    "activity_update",
    "contact_owners",
    "contact_taken_error",
    "customer_apply_contact",
    "customer_assign",
    "customer_contact_indexes",
    "customer_create",
    "customer_erase_rows",
    "customer_indexes",
    "customer_pseudonyms_rebuild",
    "customer_purchases_refresh",
    "customer_search_keys_rebuild",
    "customer_tables_settle",
    "customer_tag_add",
    "customer_tag_remove",
    "customer_tags_bulk_add",
    "customer_tags_bulk_remove",
    "customer_tags_set_manual",
    "customer_tombstone_create",
    "customer_update",
    "customers_exist",
    "customers_inactive",
    "customers_total",
    "email_key",
    "identity_bulk_create",
    "interaction_create",
    "interaction_indexes",
    "interactions_announce",
    "interactions_purge",
    "interactions_recorded",
    "interactions_written",
    "language_parse",
    "name_tokens_forget",
    "phone_key",
    "scope_conflict",
    "scope_conflict_gate",
    "tag_counts_refresh",
    "tag_create",
    "tag_delete",
    "tag_merge",
    "tag_name_clean",
    "tag_update",
    "tags_automatic_ensure",
    "tags_ensure",
    "time_zone_parse",
    "written_pk",
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
    "language",
    "time_zone",
    "assigned_manager",
}
#: Fields that roles seeing contact data masked may not set or overwrite.
CONTACT_FIELDS = ("phone", "email", "address", "birthday")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """The values with the rules of :mod:`guanxi.core.values` applied (the API's
    serializer applied them already; other callers get the same rules)."""
    cleaned = dict(values)
    for field, choices in (("gender", Gender), ("preferred_channel", Channel)):
        if field in cleaned:
            cleaned[field] = "" if cleaned[field] is None else cleaned[field]
            if cleaned[field] not in choices.values:
                raise ValidationFailed(_("choose a value from the list"), field=field)
    for field, parse in (("language", language_parse), ("time_zone", time_zone_parse)):
        if field in cleaned:
            cleaned[field] = parse(cleaned[field])
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


_TAKEN = {
    "phone": gettext_noop("another customer has this phone number"),
    "email": gettext_noop("another customer has this email address"),
}


_CONTACT_REFUSED = gettext_noop(
    "your role sees phone, email, address and birthday masked and may not change them"
)


class ContactTaken(ValidationFailed):
    """The phone number or email address belongs to another customer."""


audit_log = logging.getLogger("guanxi.audit")

#: Refused contact values and order numbers held outside the user's scope,
#: per user and hour, before every write of one is refused for the hour.
CONFLICT_WINDOW_SECONDS = 3600

_CONFLICT = gettext_noop(
    "This contact cannot be saved; an administrator has been asked to resolve it."
)
_CONFLICTS_LIMIT = gettext_noop(
    "too many contact values or order numbers could not be saved: wait an hour "
    "and try again"
)


class ContactHeldElsewhere(ValidationFailed):
    """The phone number or email address belongs to a customer outside the
    actor's scope: said without saying so (see :func:`scope_conflict`)."""


def scope_conflict_gate(*, actor: Any) -> None:
    """Refuse every write of a contact value or order number by ``actor`` once
    they had ``GUANXI_CONFLICTS_PER_HOUR`` refused as held outside their scope:
    past the limit, a value that exists would otherwise be told from one that
    does not by whether the write goes through."""
    if rate_limit_reached(
        scope="scope-conflict",
        who=str(getattr(actor, "pk", None)),
        limit=settings.GUANXI_CONFLICTS_PER_HOUR,
        window_seconds=CONFLICT_WINDOW_SECONDS,
    ):
        raise RateLimited(_(_CONFLICTS_LIMIT))


def scope_conflict(*, actor: Any, what: str, object_type: str, object_id: int) -> None:
    """Count, log and audit (kept after the rollback) that ``actor`` wrote a
    ``what`` (``phone``, ``email``, ``order_id``) held outside their scope."""
    audit_log.warning(
        "scope conflict: user #%s wrote a %s that %s #%s outside their scope holds",
        getattr(actor, "pk", None),
        what,
        object_type,
        object_id,
    )
    scope_conflict_recorded(
        actor=actor, kind=what, object_type=object_type, object_id=object_id
    )
    if not rate_limit_take(
        scope="scope-conflict",
        who=str(getattr(actor, "pk", None)),
        limit=settings.GUANXI_CONFLICTS_PER_HOUR,
        window_seconds=CONFLICT_WINDOW_SECONDS,
    ):
        raise RateLimited(_(_CONFLICTS_LIMIT))


def _check_unique_contact(customer: Customer, *, actor: Any) -> None:
    """Refuse a phone number or email address another customer has: with the
    helpful message when the actor may see that customer, a neutral one
    otherwise (an account manager must not learn that another manager's
    customer has this phone)."""
    owners = contact_owners(
        phone=customer.phone, email=customer.email, exclude_pk=customer.pk
    )
    for field in ("phone", "email"):
        if field not in owners:
            continue
        if customer_scope(actor=actor).filter(pk=owners[field]).exists():
            raise ContactTaken(_(_TAKEN[field]), field=field)
        scope_conflict(
            actor=actor, what=field, object_type="customer", object_id=owners[field]
        )
        raise ContactHeldElsewhere(_(_CONFLICT), field=field)


def _check_not_erased(customer: Customer, *, changed: set[str]) -> None:
    """Refuse the phone or e-mail of a person whose data was erased at their
    request (``guanxi.privacy`` keeps their keyed hashes, under the current
    and the retired blind-index keys): they may not be added again, by a
    create or by an edit."""
    phone = customer.phone if "phone" in changed else None
    email = customer.email if "email" in changed else None
    erased = contact_erased(phone=phone or None, email=email or None)
    for field in ("phone", "email"):
        if field in erased:
            raise ValidationFailed(_(ERASED_MESSAGE), field=field)


def _contact_write_gate(*, actor: Any, customer: Customer, changed: set[str]) -> None:
    if (customer.phone and "phone" in changed) or (
        customer.email and "email" in changed
    ):
        scope_conflict_gate(actor=actor)


def _save_checked(customer: Customer, *, actor: Any) -> None:
    """:func:`_save`, with a concurrent writer's phone or email (the database's
    refusal) answered as :func:`_check_unique_contact` answers."""
    try:
        _save(customer)
    except ContactTaken:
        _check_unique_contact(customer, actor=actor)
        raise


def contact_taken_error(error: IntegrityError) -> ContactTaken | None:
    """The clear error for a write the database refused because a phone number
    or email address is already another customer's (one customer per phone
    and per email: ``customer_phone_unique``, ``customer_email_unique``); None
    for any other refusal."""
    text = str(error)
    for field in ("phone", "email"):
        # PostgreSQL names the constraint; SQLite names the column.
        if f"customer_{field}_unique" in text or f"{field}_index" in text:
            return ContactTaken(_(_TAKEN[field]), field=field)
    return None


def _save(customer: Customer) -> None:
    """Save, turning the database's one-customer-per-phone/email refusal (a
    concurrent write got there first) into the same error as the check."""
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:
        taken = contact_taken_error(exc)
        if taken is None:
            raise
        raise taken from None


@durable_events
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
    if not policy.may_edit_contact_fields and any(
        cleaned.get(f) not in (None, "") for f in CONTACT_FIELDS
    ):
        raise PermissionDenied(_(_CONTACT_REFUSED))
    if not (cleaned.get("name") or cleaned.get("phone") or cleaned.get("email")):
        raise ValidationFailed(
            _("a customer needs a name, a phone number or an email address")
        )
    customer = Customer(**cleaned)
    if policy.own_customers_only and "assigned_manager" not in values:
        customer.assigned_manager = actor
    customer.first_seen_at = timezone.now()
    customer_apply_contact(customer)
    _check_not_erased(customer, changed={"phone", "email"})
    _contact_write_gate(actor=actor, customer=customer, changed={"phone", "email"})
    _check_unique_contact(customer, actor=actor)
    _save_checked(customer, actor=actor)
    customer_change_record(
        customer=customer,
        actor=actor,
        kind=CustomerChangeKind.CREATED,
        manager=customer.assigned_manager,
    )
    if tags:
        customer_tags_set_manual(actor=actor, customer=customer, names=tags)
    for source, external_id in identities or []:
        CustomerIdentity.objects.create(
            customer=customer, source=source, external_id=external_id
        )
    return customer


@durable_events
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
    cleaned = _clean(values)
    changed = changed_fields(customer, cleaned)
    if not policy.may_edit_contact_fields and set(changed) & set(CONTACT_FIELDS):
        raise PermissionDenied(_(_CONTACT_REFUSED))
    manager_before = customer.assigned_manager_id
    for field, value in cleaned.items():
        setattr(customer, field, value)
    if not (customer.name or customer.phone or customer.email):
        raise ValidationFailed(
            _("a customer needs a name, a phone number or an email address")
        )
    customer_apply_contact(customer)
    _check_not_erased(customer, changed=set(changed))
    _contact_write_gate(actor=actor, customer=customer, changed=set(changed))
    _check_unique_contact(customer, actor=actor)
    _save_checked(customer, actor=actor)
    edited = [f for f in changed if f != "assigned_manager"]
    if edited:
        customer_change_record(
            customer=customer,
            actor=actor,
            kind=CustomerChangeKind.EDITED,
            fields=edited,
        )
        # Rectification (PIPL art. 46, GDPR art. 16) is this edit: audited by
        # the names of the fields changed.
        customer_edited(actor=actor, customer_id=customer.pk, fields=edited)
    if customer.assigned_manager_id != manager_before:
        customer_change_record(
            customer=customer,
            actor=actor,
            kind=CustomerChangeKind.ASSIGNED,
            manager=customer.assigned_manager,
        )
        manager_assigned(
            actor=actor,
            customer_id=customer.pk,
            manager_id=customer.assigned_manager_id,
        )
    if tags is not None:
        customer_tags_set_manual(actor=actor, customer=customer, names=tags)
    return customer


def customer_assign(*, actor: Any, customer: Customer, manager: Any) -> Customer:
    """Make ``manager`` (a user or id; None: nobody) ``customer``'s account
    manager; the customer is in their list at once (scope reads the field)."""
    if not policy_for(actor).may_assign_manager:
        raise PermissionDenied(_("your role may not assign account managers"))
    return customer_update(actor=actor, customer=customer, assigned_manager=manager)


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
    interactions_announce(customer_ids=[target.pk], kinds=[kind_value])
    return interaction, True
